"""``leakguard pre-push [REMOTE [URL]]``: a plain git ``pre-push`` hook, run by ``git push``.

git passes the remote's name and URL as arguments and every ref the push updates on standard input;
everything the push would send is scanned (:mod:`leakguard.sources.outgoing`), and findings stop the
push (exit 1) before it connects, as the bot would have stopped it after. ``git push --no-verify``
skips the hook. Install it with::

    printf '#!/bin/sh\\nexec leakguard pre-push "$@"\\n' > .git/hooks/pre-push
    chmod +x .git/hooks/pre-push
"""

from __future__ import annotations

import argparse
import sys

from leakguard.commands import scan
from leakguard.errors import ConfigError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``pre-push``: git's two arguments, then the options of ``scan``."""
    parser = commands.add_parser(
        "pre-push", help="the git pre-push hook: every commit, new ref name and tag a push would send"
    )
    parser.add_argument("remote", nargs="?", help="the remote's name, or its URL (git's first argument)")
    parser.add_argument("url", nargs="?", help="the remote's URL (git's second argument; not used)")
    scan.add_scan_options(parser, paths=False)


def run(args: argparse.Namespace) -> int:
    """Scan what git says the push sends (its standard input); same exit codes as ``scan``."""
    from leakguard.sources.outgoing import Outgoing, parse_updates

    if args.revisions or args.staged:
        raise ConfigError("pre-push scans what git says the push sends: drop --range/--staged")
    if sys.stdin is None or sys.stdin.isatty():
        raise ConfigError("pre-push reads the refs being pushed from standard input, as git gives them")
    updates = parse_updates(sys.stdin.read())
    args.paths = []
    args.outgoing = Outgoing(args.remote, tuple(updates))
    return scan.run(args)
