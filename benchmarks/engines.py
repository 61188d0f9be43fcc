"""Engine-only throughput of leakguard against detect-secrets and naive regexes, on real history.

Run ``.venv/bin/python benchmarks/engines.py``; ``--help`` lists the options and
``benchmarks/README.md`` explains what is measured. This is a benchmark, not a test: nothing here is
asserted, it prints numbers.

By default the corpus is a git repository built once under ``benchmarks/.work/``: successive releases of
real projects (sdists downloaded from PyPI with pip) committed one on top of the other, so its history's
diffs are those projects' real changes between releases. ``--repo PATH [--range REVS]`` benchmarks any
local repository instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from leakguard.detect.engine import Detector
from leakguard.git import Git
from leakguard.rules import RuleSet, load_rules
from leakguard.sources.base import Fragment
from leakguard.sources.history import commit_fragments

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"

#: The default corpus: (project, releases in order). Four projects of different styles: an HTTP
#: client, its transport library, a web framework with docs and examples, and a template engine.
FULL_CORPUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "requests",
        (
            "2.20.1", "2.21.0", "2.22.0", "2.23.0", "2.24.0", "2.25.1",
            "2.26.0", "2.27.1", "2.28.2", "2.29.0", "2.31.0", "2.32.3",
        ),
    ),
    ("urllib3", ("1.25.11", "1.26.5", "1.26.18", "2.0.7", "2.2.3")),
    ("flask", ("1.1.4", "2.0.3", "2.2.5", "2.3.3", "3.0.3")),
    ("jinja2", ("2.11.3", "3.0.3", "3.1.4")),
)  # fmt: skip
#: ``--quick``: three releases of one project, for a smoke run.
QUICK_CORPUS: tuple[tuple[str, tuple[str, ...]], ...] = (("requests", ("2.28.2", "2.31.0", "2.32.3")),)

#: Fixed identity and dates, so the corpus (and its commit ids) is the same on every machine.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "leakguard benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "leakguard benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}
_GIT_OPTIONS = (
    "-c",
    "core.autocrlf=false",
    "-c",
    "commit.gpgsign=false",
    "-c",
    f"core.hooksPath={os.devnull}",
)
_EPOCH = 1_600_000_000
#: detect-secrets and the naive regexes scan ~0.1 MB/s here: compare the engines on this many MB.
DEFAULT_MAX_MB = 2.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- corpus ------------------------------------------------------------------------------------------


class CorpusError(Exception):
    """The default corpus cannot be built (usually: PyPI unreachable)."""


def _download(project: str, version: str) -> Path:
    """The sdist of ``project==version``, downloaded with pip into the cache on first use."""
    target = WORK / "sdists" / f"{project}-{version}"
    found = sorted(p for p in target.glob("*") if p.name.endswith((".tar.gz", ".zip", ".tar.bz2")))
    if found:
        return found[0]
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-binary", ":all:", "--dest", str(target), f"{project}=={version}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(p for p in target.glob("*") if p.name.endswith((".tar.gz", ".zip", ".tar.bz2")))
    if done.returncode != 0 or not found:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise CorpusError(f"pip could not download the sdist of {project}=={version}: {' / '.join(detail)}")
    return found[0]


def _unpack(archive: Path, destination: Path) -> None:
    """Unpack an sdist's single top directory as ``destination``."""
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(scratch)  # noqa: S202  (zipfile drops absolute and ``..`` member paths)
        else:
            with tarfile.open(archive) as tarred:
                tarred.extractall(scratch, filter="data")  # the "data" filter refuses unsafe members
        entries = list(Path(scratch).iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(scratch)
        shutil.move(str(top), str(destination))


def _git(repo: Path, *args: str, when: int | None = None) -> None:
    env = {**os.environ, **_GIT_ENV}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    subprocess.run(["git", "-C", str(repo), *_GIT_OPTIONS, *args], env=env, check=True, capture_output=True)


def build_corpus(spec: Sequence[tuple[str, Sequence[str]]], name: str) -> Path:
    """A git repository replaying every release of ``spec`` in order; built once, then reused."""
    repo = WORK / name
    manifest = json.dumps([[project, list(versions)] for project, versions in spec])
    stamp = WORK / f"{name}.manifest"
    if repo.is_dir() and stamp.is_file() and stamp.read_text() == manifest:
        return repo
    WORK.mkdir(parents=True, exist_ok=True)
    wanted = [(project, version) for project, versions in spec for version in versions]
    log(f"building the corpus in {repo} (once): downloading {len(wanted)} sdists with pip ...")
    with ThreadPoolExecutor(max_workers=4) as pool:
        archives = list(pool.map(lambda pv: _download(*pv), wanted))
    building = WORK / f"{name}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    _git(building, "init", "--quiet", "--initial-branch=main")
    for step, ((project, version), archive) in enumerate(zip(wanted, archives, strict=True)):
        tree = building / project
        shutil.rmtree(tree, ignore_errors=True)
        _unpack(archive, tree)
        _git(building, "add", "--all", "--force", "--", project)
        _git(
            building,
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            f"{project} {version}",
            when=_EPOCH + step * 86400,
        )
    shutil.rmtree(repo, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    building.rename(repo)
    stamp.write_text(manifest)
    return repo


# -- fragments ---------------------------------------------------------------------------------------


def collect_fragments(repo: Path, revisions: Sequence[str]) -> list[Fragment]:
    """Every fragment of added lines in ``revisions``, read up front so git is never timed."""
    return [item for item in commit_fragments(Git(repo), revisions) if isinstance(item, Fragment)]


def fragment_bytes(fragment: Fragment) -> int:
    """UTF-8 bytes of the added lines, one newline each."""
    return sum(len(text.encode("utf-8", "surrogatepass")) + 1 for _, text in fragment.lines)


def sample(fragments: list[Fragment], max_bytes: int, seed: int = 0) -> list[Fragment]:
    """A reproducible random subset of whole fragments of at most ``max_bytes``, in history order."""
    order = list(range(len(fragments)))
    random.Random(seed).shuffle(order)
    chosen, total = [], 0
    for index in order:
        size = fragment_bytes(fragments[index])
        if total + size <= max_bytes:
            chosen.append(index)
            total += size
    return [fragments[i] for i in sorted(chosen)]


# -- engines -----------------------------------------------------------------------------------------


@dataclass
class Engine:
    name: str
    run: Callable[[list[Fragment]], int]  # scans the fragments, returns the number of findings
    note: str = ""


def leakguard_engine(ruleset: RuleSet) -> Engine:
    detector = Detector(ruleset)

    def run(fragments: list[Fragment]) -> int:
        scan = detector.scan
        return sum(len(scan(fragment)) for fragment in fragments)

    return Engine("leakguard", run, f"{len(ruleset.rules)} RE2 rules + detect-secrets plugins")


def detect_secrets_engine() -> tuple[Engine, Callable[[], None]]:
    """detect-secrets as its ``scan_diff`` runs on the added lines of a diff, with its defaults.

    Returns the engine and a function restoring detect-secrets' global settings afterwards.
    """
    from detect_secrets.core.scan import _is_filtered_out, _process_line_based_plugins
    from detect_secrets.settings import default_settings, get_filters, get_plugins, get_settings

    context = default_settings()
    context.__enter__()
    # The one default filter that reads the disk (``os.path.isfile``): history's files are not on disk,
    # so it would drop almost everything. detect-secrets' own ad-hoc ``scan_line`` disables it too.
    get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
    get_filters.cache_clear()
    plugins = get_plugins()

    def run(fragments: list[Fragment]) -> int:
        found = 0
        for fragment in fragments:
            if _is_filtered_out(required_filter_parameters=["filename"], filename=fragment.path):
                continue
            for _ in _process_line_based_plugins(lines=list(fragment.lines), filename=fragment.path):
                found += 1
        return found

    run([Fragment(path="warmup.py", lines=[(1, "password = 'warm-up-only'")])])  # load plugins and filters
    note = f"{len(plugins)} plugins, default filters"
    return Engine("detect-secrets", run, note), lambda: context.__exit__(None, None, None)


def naive_engine(ruleset: RuleSet) -> tuple[Engine, list[str]]:
    """Every rule's regex on Python's ``re``, ``finditer`` on every line, no prefilter."""
    compiled: list[re.Pattern[str]] = []
    rejected: list[str] = []
    for rule in ruleset.rules:
        try:
            compiled.append(re.compile(rule.pattern))
        except re.error:
            rejected.append(rule.id)

    def run(fragments: list[Fragment]) -> int:
        found = 0
        for fragment in fragments:
            for _, text in fragment.lines:
                for regex in compiled:
                    for _ in regex.finditer(text):
                        found += 1
        return found

    note = f"{len(compiled)} rules on Python re" + (
        f", {len(rejected)} skipped (RE2-only syntax)" if rejected else ""
    )
    return Engine("naive", run, note), rejected


def best_time(engine: Engine, fragments: list[Fragment], repeat: int) -> tuple[float, int]:
    """The best wall time of ``repeat`` passes, and the findings of the last one."""
    best, findings = float("inf"), 0
    for attempt in range(repeat):
        gc.collect()
        started = time.perf_counter()
        findings = engine.run(fragments)
        elapsed = time.perf_counter() - started
        best = min(best, elapsed)
        log(f"  {engine.name:<15} pass {attempt + 1}/{repeat}: {elapsed:7.2f} s, {findings} findings")
    return best, findings


# -- profile -----------------------------------------------------------------------------------------


def profile_leakguard(ruleset: RuleSet, fragments: list[Fragment], top: int = 25) -> str:
    """Where leakguard's time goes: cProfile, rules vs plugins, and the keywords that route most lines."""
    out = io.StringIO()
    detector = Detector(ruleset)
    profiler = cProfile.Profile()
    profiler.enable()
    for fragment in fragments:
        detector.scan(fragment)
    profiler.disable()
    out.write(f"\n## cProfile of one leakguard pass (top {top} by cumulative time)\n\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    out.write(f"\n## top {top} by own time\n\n")
    stats.sort_stats("tottime").print_stats(top)

    rules_only = Detector(ruleset, plugins=False)
    full_time, _ = _time_once(lambda: [detector.scan(f) for f in fragments])
    rules_time, _ = _time_once(lambda: [rules_only.scan(f) for f in fragments])
    out.write("\n## rules vs plugins (one pass each, no profiler)\n\n")
    out.write(f"full detector:             {full_time:7.2f} s\n")
    out.write(f"rules only (plugins=False): {rules_time:7.2f} s\n")
    out.write(f"plugins (difference):      {full_time - rules_time:7.2f} s\n")

    # Which keywords route lines to rule regexes, and the regex time of each rule on those lines.
    keyword_rules: dict[str, list[str]] = defaultdict(list)
    by_id = {rule.id: rule for rule in ruleset.rules}
    for rule in ruleset.rules:
        for keyword in rule.keywords:
            keyword_rules[keyword.lower()].append(rule.id)
    keyword_lines: Counter[str] = Counter()
    rule_lines: Counter[str] = Counter()
    rule_seconds: Counter[str] = Counter()
    total_lines = routed_lines = 0
    for fragment in fragments:
        for _, text in fragment.lines:
            total_lines += 1
            lowered = text.lower()
            hit = [k for k in keyword_rules if k in lowered]
            if not hit:
                continue
            routed_lines += 1
            keyword_lines.update(hit)
            for rule_id in {r for k in hit for r in keyword_rules[k]}:
                rule_lines[rule_id] += 1
                started = time.perf_counter()
                for _ in by_id[rule_id].regex.finditer(text):
                    pass
                rule_seconds[rule_id] += time.perf_counter() - started
    share = 100 * routed_lines / max(total_lines, 1)
    out.write(
        f"\n## keyword routing: {routed_lines} of {total_lines} lines ({share:.1f}%) hold a keyword\n\n"
    )
    out.write("keyword                        lines  rules\n")
    for keyword, count in keyword_lines.most_common(top):
        out.write(f"{keyword[:30]:<30} {count:6d}  {', '.join(keyword_rules[keyword])[:70]}\n")
    out.write(
        f"\nrule                                       lines  regex s  (RE2 on whole lines, top {top})\n"
    )
    for rule_id, seconds in rule_seconds.most_common(top):
        out.write(f"{rule_id[:42]:<42} {rule_lines[rule_id]:6d}  {seconds:7.3f}\n")
    return out.getvalue()


def _time_once(action: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


# -- main --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="benchmark this local git repository instead of the corpus")
    parser.add_argument(
        "--range",
        dest="revisions",
        nargs="+",
        metavar="REVS",
        help="revisions to scan (git log syntax; default HEAD)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="passes per engine; the best is reported (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small corpus, one pass")
    parser.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_MAX_MB,
        help="compare the engines on a reproducible random subset of at most this many MB of fragments, "
        f"as detect-secrets and naive regexes are slow (default {DEFAULT_MAX_MB}; 0: the whole corpus); "
        "leakguard is then also timed on the whole corpus",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the leakguard pass and print a summary"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick and args.repeat == parser.get_default("repeat"):
        args.repeat = 1
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    revisions = args.revisions or ["HEAD"]
    if args.repo is not None:
        repo, corpus = args.repo, f"{args.repo} ({' '.join(revisions)})"
    else:
        spec, name = (QUICK_CORPUS, "corpus-quick") if args.quick else (FULL_CORPUS, "corpus")
        try:
            repo = build_corpus(spec, name)
        except (CorpusError, subprocess.CalledProcessError, OSError) as exc:
            log(f"error: cannot build the default corpus: {exc}")
            log(
                "The corpus is made of sdists that pip downloads from PyPI. Without PyPI, benchmark any "
                "local git repository instead:\n"
                "  .venv/bin/python benchmarks/engines.py --repo PATH [--range REVS]"
            )
            return 2
        corpus = ", ".join(
            f"{project} {versions[0]}…{versions[-1]} ({len(versions)} releases)" for project, versions in spec
        )

    log("reading the history ...")
    started = time.perf_counter()
    everything = collect_fragments(repo, revisions)
    total_bytes = sum(fragment_bytes(f) for f in everything)
    elapsed = time.perf_counter() - started
    log(f"  {len(everything)} fragments, {total_bytes / 1e6:.2f} MB of added lines ({elapsed:.1f} s)")
    if not everything:
        log("error: no added lines in that range")
        return 2

    fragments = everything
    if args.max_mb and total_bytes > args.max_mb * 1e6:
        fragments = sample(everything, int(args.max_mb * 1e6))
    scanned = sum(fragment_bytes(f) for f in fragments)
    lines = sum(len(f.lines) for f in fragments)

    ruleset = load_rules()
    leakguard = leakguard_engine(ruleset)
    secrets, restore = detect_secrets_engine()
    naive, rejected = naive_engine(ruleset)

    results: dict[str, dict[str, float | int | str]] = {}
    try:
        for engine in (leakguard, secrets, naive):
            seconds, findings = best_time(engine, fragments, args.repeat)
            results[engine.name] = {
                "mb": scanned / 1e6,
                "seconds": seconds,
                "mb_per_s": scanned / 1e6 / seconds,
                "findings": findings,
                "note": engine.note,
            }
        if fragments is not everything:
            seconds, findings = best_time(leakguard, everything, args.repeat)
            results["leakguard (whole corpus)"] = {
                "mb": total_bytes / 1e6,
                "seconds": seconds,
                "mb_per_s": total_bytes / 1e6 / seconds,
                "findings": findings,
                "note": "not part of the ratios",
            }
    finally:
        restore()

    print(f"corpus: {corpus}")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, best of {args.repeat} pass(es) per engine"
    )
    what = f"{len(fragments)} fragments, {lines} added lines, {scanned / 1e6:.2f} MB"
    if fragments is not everything:
        print(f"input: a reproducible random subset of whole fragments, {what},")
        whole = f"{len(everything)} fragments, {total_bytes / 1e6:.2f} MB"
        print(f"       of the whole corpus ({whole}); the three engines scan this same subset")
    else:
        print(f"input: {what}; the same for all three engines")
    print()
    print(f"{'engine':<26} {'MB':>7} {'seconds':>9} {'MB/s':>8} {'findings':>9}  notes")
    for name, row in results.items():
        figures = f"{row['mb']:7.2f} {row['seconds']:9.2f} {row['mb_per_s']:8.2f} {row['findings']:9d}"
        print(f"{name:<26} {figures}  {row['note']}")
    ours = float(results["leakguard"]["seconds"])
    ratio_ds = float(results["detect-secrets"]["seconds"]) / ours
    ratio_naive = float(results["naive"]["seconds"]) / ours
    print()
    print(f"leakguard / detect-secrets: {ratio_ds:6.1f}x   (target >= 10x: {_verdict(ratio_ds >= 10)})")
    print(f"leakguard / naive:          {ratio_naive:6.1f}x   (target >=  3x: {_verdict(ratio_naive >= 3)})")
    if rejected:
        print(f"naive: {len(rejected)} rule(s) skipped, Python re rejects their RE2 syntax:")
        print("       " + ", ".join(rejected))

    if args.json is not None:
        payload = {
            "corpus": corpus,
            "repeat": args.repeat,
            "results": results,
            "ratios": {"detect-secrets": ratio_ds, "naive": ratio_naive},
            "naive_rejected": rejected,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    if args.profile:
        log("profiling the leakguard pass ...")
        print(profile_leakguard(ruleset, fragments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
