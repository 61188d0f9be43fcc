"""Recall over many seeds: every fake generator and context line of ``tests/fakes.py``, N values each.

The tests and ``accuracy.py`` draw a few values per type; a threshold tuned on those can still drop a
share of real ones (a 40-hex token is under 3.5 bits of entropy one time in twenty). This probe draws
``--seeds`` values of every kind (under a neutral name) and of every context line, scans each alone
with the bundled rules (no plugins), and lists the types some value of which no expected rule found,
with how often and the first value missed. Nothing is asserted; generated fakes only.

    .venv/bin/python benchmarks/recall_probe.py --seeds 100
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import KINDS, context_lines, fake  # noqa: E402

from leakguard.detect.engine import Detector  # noqa: E402
from leakguard.rules import load_rules  # noqa: E402


def misses(detector: Detector, seeds: int) -> tuple[Counter[str], dict[str, str]]:
    """How many of ``seeds`` values of each type were missed, and the first value missed of each."""
    missed: Counter[str] = Counter()
    first: dict[str, str] = {}

    def check(kind: str, text: str, path: str, rule: str) -> None:
        if rule not in {finding.rule_id for finding in detector.scan_text(text, path=path)}:
            missed[kind] += 1
            first.setdefault(kind, text.strip())

    for kind, rule in sorted(KINDS.items()):
        if kind.startswith("private-key") and kind != "private-key-base64":
            continue  # a PEM block is many lines: the tests place it whole
        for seed in range(seeds):
            check(kind, f'value = "{fake(kind, random.Random(f"probe/{kind}/{seed}"))}"\n', "app.py", rule)
    for seed in range(seeds):
        for line, rule in context_lines(random.Random(f"probe/context/{seed}")):
            check(f"context:{rule}", line + "\n", "example.txt", rule)
    return missed, first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=100, help="values drawn per type")
    args = parser.parse_args(argv)
    missed, first = misses(Detector(load_rules(), plugins=False), args.seeds)
    print(f"{len(KINDS)} kinds and every context line, {args.seeds} values each")
    for kind, count in missed.most_common():
        print(f"{count:5d}/{args.seeds}  {kind}: {first[kind][:100]}")
    if not missed:
        print("every value found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
