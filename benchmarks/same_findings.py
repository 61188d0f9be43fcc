"""Do two versions of the engine report the same findings? A check for speed work, not a benchmark.

Runs ``leakguard scan --format jsonl`` over fixed inputs and saves every output row (findings, skipped
files, the summary), or compares a new run with saved rows and prints what differs. A change meant to
make the engine faster must leave these identical::

    .venv/bin/python benchmarks/same_findings.py --save /tmp/before.json      # on the old engine
    .venv/bin/python benchmarks/same_findings.py --against /tmp/before.json   # on the new one
    .venv/bin/python benchmarks/same_findings.py --against /tmp/before.json --jobs 2

Inputs: the real-code corpus of ``accuracy.py`` (``benchmarks/.work/realcode``, a directory scan), its
generated corpus (``benchmarks/.work/accuracy-corpus``), the history of the throughput corpus
(``benchmarks/.work/corpus``) and this repository's own history up to a fixed commit (dense with
generated example credentials). Inputs that do not exist are skipped and said so. The fingerprint key
is fixed, so fingerprints compare too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
LEAKGUARD = Path(sys.executable).parent / "leakguard"
#: This repository's history up to here is one of the inputs (fixed, so later commits change nothing).
OWN_HISTORY = "e0d75de"
_KEY = "same-findings-check-key-0123456789abcdef"


def inputs() -> dict[str, list[str]]:
    """Name -> the ``leakguard scan`` arguments of each input that exists here."""
    found: dict[str, list[str]] = {}
    for name in ("realcode", "accuracy-corpus"):
        if (WORK / name).is_dir():
            found[name] = [str(WORK / name)]
    if (WORK / "corpus").is_dir():
        found["history-corpus"] = ["--repo", str(WORK / "corpus"), "--range", "HEAD"]
    found["own-history"] = ["--repo", str(ROOT), "--range", OWN_HISTORY]
    return found


def run(arguments: list[str], extra: list[str], source: Path | None = None) -> tuple[list[str], float]:
    """The sorted output rows of one scan and its wall time (of the code under ``source``, if given)."""
    env = {**os.environ, "LEAKGUARD_FINGERPRINT_KEY": _KEY}
    program = [str(LEAKGUARD)]
    if source is not None:
        program = [sys.executable, "-m", "leakguard.cli"]
        env["PYTHONPATH"] = str(source / "src")
    command = [*program, "scan", *arguments, "--format", "jsonl", "--no-progress", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"leakguard scan {' '.join(arguments)} failed: {done.stderr.strip()[-400:]}")
    return sorted(done.stdout.splitlines()), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="save this engine's output rows here")
    what.add_argument("--against", type=Path, help="compare this engine's output with saved rows")
    parser.add_argument("--jobs", help="pass --jobs N to leakguard scan")
    parser.add_argument("--only", action="append", help="only this input (repeatable)")
    parser.add_argument(
        "--source", type=Path, help="run the leakguard of this checkout (e.g. a `git worktree` of main)"
    )
    args = parser.parse_args(argv)
    extra = ["--jobs", args.jobs] if args.jobs else []
    saved: dict[str, list[str]] = json.loads(args.against.read_text()) if args.against else {}
    results: dict[str, list[str]] = {}
    differ = False
    for name, arguments in inputs().items():
        if args.only and name not in args.only:
            continue
        rows, elapsed = run(arguments, extra, args.source)
        results[name] = rows
        findings = sum('"kind": "finding"' in row for row in rows)
        print(f"{name:<16} {len(rows):6d} rows, {findings:5d} findings, {elapsed:6.1f} s", flush=True)
        if args.against is None:
            continue
        if name not in saved:
            print(f"  (no saved rows for {name})")
            continue
        before, after = set(saved[name]), set(rows)
        if before == after and len(saved[name]) == len(rows):
            print("  identical")
            continue
        differ = True
        for row in sorted(before - after)[:20]:
            print(f"  - {row[:300]}")
        for row in sorted(after - before)[:20]:
            print(f"  + {row[:300]}")
        if before == after:
            print("  same rows, different counts (duplicates)")
    if args.save:
        args.save.write_text(json.dumps(results, indent=1) + "\n")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
