"""``leakguard demo``: the engine on a sample repository it builds, checked like a smoke test.

Until the local AWS flow exists, this is the product's main job on an embedded default: scan every
commit of a history where a leak was added and later removed, and show that the leak is still found.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from leakguard.detect.engine import Detector
from leakguard.git import Git
from leakguard.report.text import render_text
from leakguard.rules import load_rules
from leakguard.sample import build_sample_repo
from leakguard.scan import run_scan
from leakguard.sources.history import commit_fragments


def run(directory: Path) -> int:
    """Build the sample, scan its history, print the report; 0 only if every expectation held."""
    target = directory / "sample-repo"
    if target.exists():
        shutil.rmtree(target)
    sample = build_sample_repo(target)
    print(f"Built {target}: 4 commits; commit {sample.leak_commit[:12]} adds fake credentials,")
    print(
        f"commit {sample.removal_commit[:12]} removes them again, commit {sample.placeholder_commit[:12]} "
        "documents placeholders.\n"
    )
    print(f"$ leakguard scan --repo {target} --range main\n")
    report = run_scan(Detector(load_rules()), commit_fragments(Git(target), ["main"]))
    sys.stdout.write(render_text(report))

    found = {(f.commit, f.rule_id) for f in report.findings}
    problems = []
    for rule_id in ("aws-access-key-id", "aws-secret-access-key", "github-pat"):
        if (sample.leak_commit, rule_id) not in found:
            problems.append(f"expected a {rule_id} finding in the leaking commit")
    if any(f.commit in (sample.clean_commit, sample.placeholder_commit) for f in report.findings):
        problems.append("a clean or placeholder-only commit was reported")
    if not any(s.path == "assets/logo.png" for s in report.skipped):
        problems.append("the binary file was not reported as skipped")
    if problems:
        for problem in problems:
            print(f"DEMO FAILED: {problem}", file=sys.stderr)
        return 1
    print(
        "\nDemo OK: the leak was found although a later commit removed it; placeholders were not "
        "reported; the binary file was reported as skipped."
    )
    return 0
