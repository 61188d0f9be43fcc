"""``leakguard demo``: the whole bot on an embedded AWS with real git pushes (``make demo``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``leakguard demo``."""
    parser = commands.add_parser(
        "demo", help="run the whole bot locally (embedded AWS, real git pushes) and check every step"
    )
    parser.add_argument(
        "--dir", default="demo-out", help="working directory, emptied first (default: demo-out)"
    )


def run(args: argparse.Namespace) -> int:
    """0 only if every step of the demo happened as expected."""
    from leakguard.local.scenario import run_demo

    return run_demo(Path(args.dir))
