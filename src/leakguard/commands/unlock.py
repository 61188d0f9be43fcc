"""``leakguard unlock REPO --reason ...``: lift a lock with the admin's own AWS credentials.

boto3 is imported when the command runs, not when the parser is built, so ``leakguard scan`` (a
pre-commit hook) does not pay for it.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

logger = logging.getLogger(__name__)


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the sub-command."""
    parser = commands.add_parser("unlock", help="remove leakguard's lock tag from a CodeCommit repository")
    parser.add_argument("repository", help="CodeCommit repository name")
    parser.add_argument("--reason", required=True, help="why it is safe to unlock (recorded in tags)")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--tag-key", default="RepoState", help="lock tag key (default: RepoState)")
    parser.add_argument("--tag-value", default="locked", help="lock tag value (default: locked)")


def run(args: argparse.Namespace, session: Any | None = None) -> int:
    """Unlock and print who did it and why; 0 also when the repository was not locked."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leakguard.aws import AwsCallError
    from leakguard.aws.codecommit import RepositoryTags
    from leakguard.remediate.lock import LockTag
    from leakguard.remediate.unlock import Unlocker

    session = session or boto3.Session(region_name=args.region)
    unlocker = Unlocker(
        RepositoryTags(session.client("codecommit")),
        session.client("sts"),
        LockTag(args.tag_key, args.tag_value),
    )
    try:
        result = unlocker.unlock(args.repository, args.reason)
    except (BotoCoreError, ClientError) as exc:
        raise AwsCallError(f"unlock {args.repository}: {exc}") from None
    if result.status == "not-locked":
        print(f"{result.repository} is not locked ({args.tag_key}={args.tag_value} absent); nothing changed.")
        return 0
    message = f"unlocked {result.repository} by {result.by}: {result.reason}"
    logger.warning(message)
    print(message)
    return 0
