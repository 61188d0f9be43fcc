"""``leakguard pre-commit [FILES]``: the hook of ``.pre-commit-hooks.yaml``.

On a commit, pre-commit passes the staged files: their added lines are scanned. On
``pre-commit run --all-files`` (or ``--files``) nothing is staged and the given files are scanned
whole. Without files it scans the staged changes, like ``leakguard scan --staged``.
"""

from __future__ import annotations

import argparse

from leakguard.commands import scan


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``pre-commit`` with the options of ``scan``."""
    parser = commands.add_parser(
        "pre-commit", help="the pre-commit hook: staged changes of the given files, or the files themselves"
    )
    scan.add_scan_options(parser)


def run(args: argparse.Namespace) -> int:
    """Scan as the hook would; same exit codes as ``scan``."""
    if args.revisions or args.staged:
        from leakguard.errors import ConfigError

        raise ConfigError("pre-commit chooses what to scan itself: drop --range/--staged")
    args.pre_commit = True
    return scan.run(args)
