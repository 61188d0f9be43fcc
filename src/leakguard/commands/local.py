"""``leakguard local serve``: keep the local bot running on a repository people push to by hand."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``leakguard local serve``."""
    local = commands.add_parser("local", help="run leakguard locally on an embedded AWS")
    local_commands = local.add_subparsers(dest="local_command", required=True, parser_class=type(local))
    serve = local_commands.add_parser("serve", help="watch a local bare repository until Ctrl-C")
    serve.add_argument(
        "--repo", required=True, help="bare repository standing in for CodeCommit (created if missing)"
    )
    serve.add_argument(
        "--workdir", default="leakguard-local", help="logs, clone cache and outbox (default: leakguard-local)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; 0 on a clean stop."""
    from leakguard.local.serve import serve

    return serve(Path(args.repo), workdir=Path(args.workdir))
