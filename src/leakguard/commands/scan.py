"""``leakguard scan``: a commit range, the staged changes, or files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leakguard.detect.engine import Detector
from leakguard.errors import ConfigError
from leakguard.findings import SkippedFile
from leakguard.git import Git
from leakguard.ignore import IGNORE_FILE_NAME, IgnoreList
from leakguard.report.jsonl import render_jsonl
from leakguard.report.sarif import render_sarif
from leakguard.report.text import render_text
from leakguard.rules import load_rules
from leakguard.scan import ScanReport, run_scan
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, CommitInfo, Fragment
from leakguard.sources.files import file_fragments
from leakguard.sources.history import commit_fragments, count_commits, staged_fragments

EXIT_CLEAN, EXIT_LEAKS = 0, 1


def run(args: argparse.Namespace) -> int:
    """Scan what the arguments select, write the report, return 1 when enforce-mode leaks were found."""
    ruleset = load_rules(args.rules)
    max_bytes = args.max_file_size if args.max_file_size is not None else DEFAULT_MAX_FILE_BYTES
    if max_bytes <= 0:
        raise ConfigError("--max-file-size must be a positive number of bytes")
    repo = Path(args.repo)
    items, progress = _items(args, repo, max_bytes)
    ignore = _ignore_list(args, repo)
    try:
        report = run_scan(
            Detector(ruleset, plugins=not args.no_plugins),
            items,
            ignore=ignore,
            on_commit=(lambda _commit: progress.update(1)) if progress else None,
        )
    finally:
        if progress is not None:
            progress.close()
    _write(args, report, ruleset)
    return EXIT_LEAKS if report.enforced else EXIT_CLEAN


def _items(
    args: argparse.Namespace, repo: Path, max_bytes: int
) -> tuple[Iterator[Fragment | SkippedFile | CommitInfo], Any]:
    if args.revisions:
        git = Git(repo)
        progress = None
        if sys.stderr.isatty() and not args.no_progress:
            from tqdm import tqdm

            progress = tqdm(
                total=count_commits(git, args.revisions), unit="commit", file=sys.stderr, leave=False
            )
        items = commit_fragments(git, args.revisions, max_file_bytes=max_bytes)
        return (_only_paths(items, args.paths) if args.paths else items), progress
    if args.staged:
        items = staged_fragments(Git(repo), max_file_bytes=max_bytes)
        return (_only_paths(items, args.paths) if args.paths else items), None
    if not args.paths:
        raise ConfigError("nothing to scan: give files or directories, --range REVS or --staged")
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise ConfigError(f"no such file or directory: {missing[0]}")
    return file_fragments(args.paths, max_file_bytes=max_bytes), None


def _only_paths(
    items: Iterator[Fragment | SkippedFile | CommitInfo], paths: list[str]
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    prefixes = tuple(p.rstrip("/") for p in paths)
    for item in items:
        if isinstance(item, CommitInfo) or any(
            item.path == p or item.path.startswith(p + "/") for p in prefixes
        ):
            yield item


def _ignore_list(args: argparse.Namespace, repo: Path) -> IgnoreList | None:
    if args.ignore_file:
        return IgnoreList.load(args.ignore_file)
    default = repo / IGNORE_FILE_NAME
    return IgnoreList.load(default) if default.is_file() else None


def _write(args: argparse.Namespace, report: ScanReport, ruleset: object) -> None:
    if args.format == "jsonl":
        text = render_jsonl(report)
    elif args.format == "sarif":
        text = render_sarif(report, ruleset)  # type: ignore[arg-type]
    else:
        text = render_text(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
