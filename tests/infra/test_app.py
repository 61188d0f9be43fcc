"""``app.py`` as ``cdk synth`` runs it: context from cdk.json plus ``-c`` overrides, cdk-nag on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_app_synthesizes_with_context_overrides(tmp_path: Path) -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    # What `cdk synth -c repositories='["alpha"]' -c notificationEmails=sec@example.com` hands the app.
    context.update(
        {"repositories": '["alpha"]', "notificationEmails": "sec@example.com", "aws:cdk:bundling-stacks": []}
    )
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "Leakguard.template.json").read_text())
    (inspector,) = [
        r for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "handlers.inspector.handler"
    ]  # fmt: skip
    assert inspector["Properties"]["Environment"]["Variables"]["WATCHED_REPOSITORIES"] == '["alpha"]'
    assert json.loads((tmp_path / "policy-validation-report.json").read_text())["pluginReports"] == []


@pytest.mark.slow
def test_app_rejects_a_bad_context_value(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"architecture": "sparc", "aws:cdk:bundling-stacks": []}),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "architecture" in result.stderr
