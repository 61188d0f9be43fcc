"""docs/deploy.md works as written: its "test it with a fake key" snippet, run from the document."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DEPLOY = Path(__file__).parents[2] / "docs" / "deploy.md"


def test_the_fake_key_snippet_writes_credentials_the_scan_reports(tmp_path):
    text = DEPLOY.read_text(encoding="utf-8")
    (code,) = re.findall(r'\.venv/bin/python" -c "\n(.*?)\n" > leaked-credentials\.ini', text, re.S)
    generated = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    (tmp_path / "leaked-credentials.ini").write_text(generated)
    scan = subprocess.run(
        [sys.executable, "-m", "leakguard.cli", "scan", "--format", "jsonl", "leaked-credentials.ini"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert scan.returncode == 1, scan.stdout + scan.stderr  # what the document promises: leaks found
    (summary,) = [json.loads(line) for line in scan.stdout.splitlines() if '"kind": "summary"' in line]
    assert summary["findings"] == 2, scan.stdout  # "2 CRITICAL findings, exit 1", as the guide says
    assert "2 CRITICAL findings, exit 1" in text


def test_the_guide_names_the_log_groups_the_stack_creates():
    text = DEPLOY.read_text(encoding="utf-8")
    for name in ("inspector", "notify", "lock", "reset"):
        assert f"/aws/lambda/Leakguard-{name}" in text
