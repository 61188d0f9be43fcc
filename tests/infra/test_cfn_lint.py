"""cfn-lint on the synthesized templates, as CloudFormation would see them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Synthesized


@pytest.mark.slow
def test_cfn_lint_passes_on_both_templates(synthesized: Synthesized, tmp_path: Path) -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: pip install -e '.[dev]'"
    templates = []
    for stack in ("AllRepos", "Listed"):
        target = tmp_path / f"{stack}.template.json"
        shutil.copy(synthesized.outdir / f"{stack}.template.json", target)
        templates.append(str(target))
    result = subprocess.run(
        # W3005 (DependsOn already implied by a GetAtt) is how CDK orders a function after its role's
        # policy; every other warning and error fails the test.
        [cfn_lint, "--format", "parseable", "--ignore-checks", "W3005", "--", *templates],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
