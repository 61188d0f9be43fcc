"""leakguard beside kingfisher and betterleaks on real code, at one job and at their defaults.

Run ``.venv/bin/python benchmarks/throughput.py`` (``make bench``); ``benchmarks/README.md`` explains
what is measured. A benchmark, not a test: it prints a table and asserts nothing.

Every scanner runs as its command-line tool on the same directory, the real-code corpus of
``accuracy.py`` (installed files of pinned packages, 88 MB on disk, 1,388 of them ``.json.gz`` that
all three decompress), validation off. Each configuration runs ``--repeat`` times, the rounds
interleaved (one run of every configuration, then the next round, the order rotating), and the median
wall time counts: the machine is shared, so only figures taken in the same run are compared. MB/s
divides the corpus's bytes on disk (10⁶) by that median; the ratio is leakguard's MB/s over the faster
peer's at the same number of jobs.

The pure-Python baselines (detect-secrets with its default plugins and filters, and every rule on
Python's ``re``) scan about 0.1 MB/s, so they run in-process on a reproducible subset of the corpus's
files, beside leakguard's engine on the same subset.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.accuracy import real_code_corpus  # noqa: E402
from benchmarks.engines import (  # noqa: E402
    Engine,
    best_time,
    detect_secrets_engine,
    fragment_bytes,
    leakguard_engine,
    naive_engine,
)

WORK = HERE / ".work"
BIN = Path(sys.executable).parent


@dataclass
class Config:
    """One scanner at one number of jobs: the command, and what every run of it measured."""

    scanner: str
    jobs: str  # "1" or "default"
    argv: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    findings: int = 0
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.scanner} ({'1 job' if self.jobs == '1' else 'default jobs'})"


def _tool(name: str) -> str | None:
    return shutil.which(name, path=str(BIN)) or shutil.which(name)


def configs(root: Path, report: Path) -> list[Config]:
    """leakguard, kingfisher and betterleaks, each at one job and at its default."""
    found: list[Config] = []
    leakguard = [str(BIN / "leakguard"), "scan", str(root), "--format", "jsonl", "--no-progress"]
    found += [
        Config("leakguard", "1", [*leakguard, "--jobs", "1"]),
        Config("leakguard", "default", leakguard),
    ]
    kingfisher = _tool("kingfisher")
    if kingfisher:
        base = [kingfisher, "scan", str(root), "--no-validate", "--no-dedup", "--format", "jsonl"]
        base.append("--no-update-check")
        found += [Config("kingfisher", "1", [*base, "--jobs", "1"]), Config("kingfisher", "default", base)]
    betterleaks = _tool("betterleaks")
    if betterleaks:
        base = [betterleaks, "--no-banner", "--no-color", f"--output={report}", "--exit-code=0"]
        found += [
            Config("betterleaks", "1", [*base, "--jobs=1", str(root)]),
            Config("betterleaks", "default", [*base, str(root)]),
        ]
    return found


def _count(config: Config, stdout: str, report: Path) -> int:
    if config.scanner == "betterleaks":
        return len(json.loads(report.read_text()).get("findings", [])) if report.exists() else 0
    rows = 0
    for line in stdout.splitlines():
        if config.scanner == "leakguard":
            rows += '"kind": "finding"' in line
        else:
            rows += '"finding"' in line
    return rows


def run_once(config: Config, report: Path) -> None:
    """Run ``config`` once; record its wall time and its CPU time (user + system of the child)."""
    report.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(config.argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 200, 205):
        config.error = (done.stderr or done.stdout).strip()[-300:]
        return
    config.walls.append(wall)
    config.cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    config.findings = _count(config, done.stdout, report)


def start_up(repeat: int) -> dict[str, float]:
    """Median wall time of each scanner on a one-line file outside any repository (its start-up)."""
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch, "one.py")
        target.write_text("x = 1\n")
        commands = {"leakguard": [str(BIN / "leakguard"), "scan", str(target), "--quiet", "--no-progress"]}
        if _tool("kingfisher"):
            commands["kingfisher"] = [str(_tool("kingfisher")), "scan", str(target), "--no-validate"]
        if _tool("betterleaks"):
            commands["betterleaks"] = [str(_tool("betterleaks")), "--no-banner", str(target)]
        for _ in range(repeat):
            for name, argv in commands.items():
                started = time.perf_counter()
                subprocess.run(argv, capture_output=True, check=False, cwd=scratch)
                times.setdefault(name, []).append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def subset(root: Path, max_bytes: int, seed: int = 0) -> Path:
    """A reproducible random subset of the corpus's files (at most ``max_bytes`` on disk), copied."""
    target = WORK / f"realcode-subset-{max_bytes}"
    if target.is_dir():
        return target
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".versions.json")
    random.Random(seed).shuffle(files)
    total = 0
    building = Path(tempfile.mkdtemp(dir=WORK))
    for path in files:
        size = path.stat().st_size
        if total + size > max_bytes:
            continue
        total += size
        destination = building / path.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    building.rename(target)
    return target


def baselines(root: Path, repeat: int) -> list[tuple[str, float, int, str]]:
    """(engine, MB/s, findings, note) of leakguard's engine, detect-secrets and naive on ``root``."""
    from leakguard.rules import load_rules
    from leakguard.sources.base import Fragment
    from leakguard.sources.files import file_fragments

    fragments = [f for f in file_fragments([root]) if isinstance(f, Fragment)]
    megabytes = sum(fragment_bytes(f) for f in fragments) / 1e6
    ruleset = load_rules()
    secrets, restore = detect_secrets_engine()
    naive, _ = naive_engine(ruleset)
    engines: list[Engine] = [leakguard_engine(ruleset), secrets, naive]
    rows = []
    try:
        for engine in engines:
            seconds, findings = best_time(engine, fragments, repeat)
            rows.append((engine.name, megabytes / seconds, findings, engine.note))
    finally:
        restore()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--corpus", type=Path, help="scan this directory instead of the real-code corpus")
    parser.add_argument("--subset-mb", type=float, default=1.0, help="MB of files for the baselines")
    parser.add_argument("--skip-baselines", action="store_true", help="no detect-secrets / naive rows")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)

    root = args.corpus or WORK / "realcode"
    if args.corpus is None:
        real_code_corpus(root)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != ".versions.json")
    megabytes = size / 1e6
    report = WORK / "throughput-betterleaks.json"
    runs = configs(root, report)
    print(f"corpus: {root} ({megabytes:.1f} MB on disk), {os.cpu_count()} cores, {args.repeat} rounds")
    for round_index in range(args.repeat):
        order = runs[round_index % len(runs) :] + runs[: round_index % len(runs)]
        for config in order:
            if config.error is None:
                run_once(config, report)
                if config.walls:
                    print(
                        f"  round {round_index + 1}: {config.name:<28} {config.walls[-1]:6.2f} s",
                        file=sys.stderr,
                    )

    def rate(config: Config) -> float:
        return megabytes / statistics.median(config.walls) if config.walls else 0.0

    print("\n| scanner | jobs | median s | MB/s | CPU s | findings | leakguard ÷ it |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    ours = {c.jobs: c for c in runs if c.scanner == "leakguard"}
    for config in runs:
        if config.error or not config.walls:
            print(f"| {config.scanner} | {config.jobs} | error: {config.error} | | | | |")
            continue
        mine = ours.get(config.jobs)
        ratio = "—" if config.scanner == "leakguard" or mine is None else f"{rate(mine) / rate(config):.2f}"
        cpu, wall = statistics.median(config.cpus), statistics.median(config.walls)
        print(
            f"| {config.scanner} | {config.jobs} | {wall:.2f} | {rate(config):.1f} "
            f"| {cpu:.1f} | {config.findings} | {ratio} |"
        )
    results: dict[str, object] = {"mb": megabytes, "runs": {c.name: c.walls for c in runs}}
    for jobs in ("1", "default"):
        peers = [c for c in runs if c.jobs == jobs and c.scanner != "leakguard" and c.walls]
        if peers and jobs in ours and ours[jobs].walls:
            fastest = max(peers, key=rate)
            ratio = rate(ours[jobs]) / rate(fastest)
            results[f"ratio_{jobs}"] = ratio
            print(f"\nleakguard ÷ the faster peer ({fastest.scanner}) at {jobs} job(s): {ratio:.2f}")

    startup = start_up(max(args.repeat, 5))
    print(
        "\nstart-up (median wall, one-line file): " + ", ".join(f"{k} {v:.2f} s" for k, v in startup.items())
    )
    results["startup"] = startup

    if not args.skip_baselines:
        small = subset(root, int(args.subset_mb * 1e6))
        print(
            f"\n## Baselines, in-process, on a {args.subset_mb:g} MB subset of the corpus's files ({small})\n"
        )
        rows = baselines(small, args.repeat)
        print("| engine | MB/s | findings | notes |")
        print("| --- | ---: | ---: | --- |")
        for name, mbps, findings, note in rows:
            print(f"| {name} | {mbps:.2f} | {findings} | {note} |")
        engine_rate = rows[0][1]
        for name, mbps, _, _ in rows[1:]:
            print(f"leakguard engine ÷ {name}: {engine_rate / mbps:.1f}x")
        results["baselines"] = rows
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
