"""``leakguard rules test`` and ``leakguard rules lint``."""

from __future__ import annotations

import argparse
import sys

from leakguard.rules import load_rules
from leakguard.rules.selftest import lint, run_examples


def run_test(args: argparse.Namespace) -> int:
    """Run every rule's examples; exit 1 naming each rule whose example misbehaves."""
    ruleset = load_rules(args.rules)
    failures = run_examples(ruleset)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    examples = sum(len(r.examples_match) + len(r.examples_nomatch) for r in ruleset.rules)
    print(f"{len(ruleset.rules)} rules, {examples} examples: {len(failures)} failed")
    return 1 if failures else 0


def run_lint(args: argparse.Namespace) -> int:
    """Report every invalid rule; exit 1 if there is any."""
    problems = lint(args.rules)
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0
