"""``leakguard restore INCIDENT --repo-dir PATH``: quarantined commits back into a local clone."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError

BUCKET_ENV = "LEAKGUARD_QUARANTINE_BUCKET"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the sub-command."""
    parser = commands.add_parser("restore", help="fetch an incident's quarantined commits into a clone")
    parser.add_argument("incident", help="incident id (from the email)")
    parser.add_argument("--repo-dir", default=".", help="local clone to fetch into (default: .)")
    parser.add_argument("--bucket", help=f"quarantine bucket (default: ${BUCKET_ENV})")
    parser.add_argument("--repository", help="CodeCommit repository name (default: search the bucket)")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")


def run(args: argparse.Namespace, session: Any | None = None) -> int:
    """Download, verify and fetch the bundle; print the restored refs and what to do next."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leakguard.aws import AwsCallError
    from leakguard.aws.storage import ObjectStore
    from leakguard.remediate.restore import Restorer

    bucket = args.bucket or os.environ.get(BUCKET_ENV)
    if not bucket:
        raise ConfigError(f"no quarantine bucket: pass --bucket or set {BUCKET_ENV}")
    session = session or boto3.Session(region_name=args.region)
    restorer = Restorer(ObjectStore(session.client("s3")))
    try:
        result = restorer.restore(
            args.incident, repo_dir=Path(args.repo_dir), bucket=bucket, repository=args.repository
        )
    except (BotoCoreError, ClientError) as exc:
        raise AwsCallError(f"restore {args.incident}: {exc}") from None
    print(f"Restored s3://{bucket}/{result.key} into {args.repo_dir}:")
    for ref in result.refs:
        print(f"  {ref}")
    first = result.refs[0] if result.refs else "REF"
    print(
        "\nThese commits contain the leaked credential: rotate it first, then take the work you need\n"
        "without it, for example:\n"
        f"  git log --oneline {first}\n"
        "  git cherry-pick <commit>   # then remove the credential and amend before pushing\n"
        "When done, delete the restored refs:\n"
        f"  git for-each-ref --format='delete %(refname)' refs/leakguard/restored/{args.incident}/ "
        "| git update-ref --stdin"
    )
    return 0
