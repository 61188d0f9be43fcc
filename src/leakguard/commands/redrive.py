"""``leakguard redrive QUEUE``: replay the events a dead-letter or on-failure queue holds.

Run it once the cause of the failure is fixed (the alarm email "leakguard is failing: ..." names the
queue). boto3 is imported when the command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the sub-command."""
    parser = commands.add_parser(
        "redrive", help="replay the events parked in a leakguard dead-letter or on-failure queue"
    )
    parser.add_argument("queue", help="queue URL or name (from the alarm email or the stack's resources)")
    parser.add_argument("--dry-run", action="store_true", help="list the parked events, replay nothing")
    parser.add_argument("--max", type=int, default=None, help="replay at most this many events")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")


def run(args: argparse.Namespace, session: Any | None = None) -> int:
    """0 when every listed event was replayed (or, with --dry-run, listed); 1 if any could not be."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leakguard.aws import AwsCallError
    from leakguard.aws.redrive import Redriver

    session = session or boto3.Session(region_name=args.region)
    redriver = Redriver(session.client("sqs"), session.client("lambda"))
    try:
        results = redriver.redrive(args.queue, dry_run=args.dry_run, limit=args.max)
    except (BotoCoreError, ClientError) as exc:
        raise AwsCallError(f"redrive {args.queue}: {exc}") from None
    for result in results:
        state = "parked" if args.dry_run and not result.error else ("replayed" if result.replayed else "KEPT")
        detail = f" - {result.error}" if result.error else ""
        print(f"{state:8} {result.parked.describe()}{detail}")
    failed = [r for r in results if r.error]
    verb = "listed" if args.dry_run else "replayed"
    print(f"{len(results) - len(failed)} {verb}, {len(failed)} kept in the queue")
    return 1 if failed else 0
