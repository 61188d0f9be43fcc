"""``leakguard baseline REPO... | --all``: record what existing repositories hold (admin credentials).

Run from the deploy guide once leakguard watches repositories that already have history: the inspector
then scans only what later pushes add, and never meets these repositories "for the first time".
``--audit`` scans their whole history first and reports what it finds (one report, one email, notify
only). boto3 is imported when the command runs, so ``leakguard scan`` does not pay for it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError

TABLE_ENV = "LEAKGUARD_SCAN_RECORD_TABLE"
TOPIC_ENV = "LEAKGUARD_TOPIC_ARN"
EXIT_RECORDED, EXIT_LEAKS = 0, 1


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the sub-command."""
    parser = commands.add_parser(
        "baseline", help="record existing repositories' history as scanned (optionally audit it first)"
    )
    parser.add_argument("repositories", nargs="*", metavar="REPOSITORY", help="CodeCommit repository names")
    parser.add_argument("--all", action="store_true", help="every repository of the account and region")
    parser.add_argument(
        "--table", help=f"the scan record table (stack output ScanRecordTableName; default ${TABLE_ENV})"
    )
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument(
        "--remote-template",
        default="codecommit::{region}://{repository}",
        help="git remote of a repository (default: git-remote-codecommit with your credentials)",
    )
    parser.add_argument("--work-dir", help="where to keep the clones (default: a temporary directory)")
    parser.add_argument(
        "--force", action="store_true", help="also record repositories leakguard already knows"
    )
    audit = parser.add_argument_group("audit")
    audit.add_argument(
        "--audit", action="store_true", help="scan the full history first and report its leaks"
    )
    audit.add_argument("--rules", help="rules file (default: the bundled rules/regex.json)")
    audit.add_argument(
        "--topic-arn", help=f"the admins' topic for the audit email (AlertTopicArn; ${TOPIC_ENV})"
    )
    audit.add_argument("--no-email", action="store_true", help="audit without emailing the admins")
    audit.add_argument(
        "--report-bucket", help="also store the audit report under reports/audit/ in this bucket"
    )
    audit.add_argument("--output", "-o", help="write the audit report (JSON) to this file")


def run(args: argparse.Namespace, session: Any | None = None) -> int:
    """Baseline (and audit) each repository; 1 when the audit found pre-existing credentials."""
    from botocore.exceptions import BotoCoreError, ClientError

    from leakguard.aws import AwsCallError

    table = args.table or os.environ.get(TABLE_ENV)
    if not table:
        raise ConfigError(
            f"no scan record table: pass --table (stack output ScanRecordTableName) or set {TABLE_ENV}"
        )
    if bool(args.repositories) == bool(args.all):
        raise ConfigError("name the repositories to baseline, or pass --all (not both)")
    topic = args.topic_arn or os.environ.get(TOPIC_ENV)
    if args.audit and not topic and not args.no_email:
        raise ConfigError(f"--audit emails the admins: pass --topic-arn (or set {TOPIC_ENV}), or --no-email")
    if "{repository}" not in args.remote_template:
        raise ConfigError("--remote-template must contain {repository}")
    session = session or _session(args)
    try:
        return _run(args, session, table=table, topic=topic)
    except (BotoCoreError, ClientError) as exc:
        raise AwsCallError(f"baseline: {exc}") from None


def _session(args: argparse.Namespace) -> Any:
    """The admin's boto3 session (their credentials, their region unless ``--region``)."""
    import boto3

    return boto3.Session(region_name=args.region)


def _run(args: argparse.Namespace, session: Any, *, table: str, topic: str | None) -> int:
    from leakguard.aws.notifications import Publisher
    from leakguard.aws.scan_record import ScanRecordTable
    from leakguard.aws.storage import ObjectStore
    from leakguard.detect.engine import Detector
    from leakguard.events.codecommit import validate_repository_name
    from leakguard.inspection.baseline import AlreadyRecorded, Baseliner, BaselineResult
    from leakguard.inspection.clone import CloneCache
    from leakguard.report.audit import audit_document, audit_email
    from leakguard.rules import load_rules

    region = session.region_name or "us-east-1"
    names = _all_repositories(session.client("codecommit")) if args.all else args.repositories
    names = [validate_repository_name(name) for name in names]
    caller = session.client("sts").get_caller_identity().get("Arn")
    with tempfile.TemporaryDirectory(prefix="leakguard-baseline-") as scratch:
        clones = CloneCache(
            Path(args.work_dir or scratch),
            lambda repository: args.remote_template.replace("{region}", region).replace(
                "{repository}", repository
            ),
        )
        detector = Detector(load_rules(args.rules))  # an audit's engine; without one, it masks ref names
        record = ScanRecordTable(table, session.client("dynamodb"))
        baseliner = Baseliner(record, clones, detector, audit=args.audit)
        results: list[BaselineResult] = []
        for name in names:
            try:
                result = baseliner.baseline(name, by=caller, force=args.force)
            except AlreadyRecorded as exc:
                print(f"{name}: skipped, {exc}")
                continue
            results.append(result)
            found = f", {len(result.audit.findings)} pre-existing finding(s)" if result.audit else ""
            print(f"{name}: {result.refs} refs recorded as {len(result.tips)} baseline tip(s){found}")
    if not args.audit or not results:
        return EXIT_RECORDED
    document = audit_document(results)
    report_url = None
    if args.output:
        Path(args.output).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.report_bucket:
        key = f"reports/audit/{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        ObjectStore(session.client("s3")).put_json(args.report_bucket, key, document)
        report_url = f"s3://{args.report_bucket}/{key}"
    if topic and not args.no_email:
        subject, body = audit_email(results, report_url=report_url)
        Publisher(topic, session.client("sns")).publish(subject, body)
        print(f"audit emailed to the admins: {subject}")
    findings = sum(len(r.audit.findings) for r in results if r.audit)
    if findings:
        print(
            f"{findings} pre-existing credential(s) found: rotate them (details in the audit report)",
            file=sys.stderr,
        )
    return EXIT_LEAKS if findings else EXIT_RECORDED


def _all_repositories(client: Any) -> list[str]:
    """Every repository of the account and region (ListRepositories, every page)."""
    names: list[str] = []
    kwargs: dict[str, str] = {}
    while True:
        page = client.list_repositories(**kwargs)
        names.extend(r["repositoryName"] for r in page.get("repositories", []))
        if not page.get("nextToken"):
            return sorted(names)
        kwargs["nextToken"] = page["nextToken"]
