"""``leakguard rules test|lint|publish``.

``publish`` is how a reviewed rules file reaches the running functions without a stack deploy: it runs
exactly what ``lint`` and ``test`` run (:func:`leakguard.rules.check.check_document`) and uploads only
what passes, as a new version of the stack's rules object. The functions validate it again before they
activate it (see :mod:`leakguard.rules.active`). boto3 is imported only when ``publish`` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError

BUCKET_ENV, KEY_ENV, KMS_ENV = "LEAKGUARD_RULES_BUCKET", "LEAKGUARD_RULES_KEY", "LEAKGUARD_RULES_KMS_KEY"
#: The object key the stack gives the deployed rules (stacks/names.py RULES_OBJECT_KEY).
DEFAULT_KEY = "rules/active.json"
#: The stack outputs ``--stack`` reads.
OUTPUTS = {"bucket": "RulesBucketName", "key": "RulesObjectKey", "kms_key": "RulesKeyArn"}


def add_publish_parser(rules_commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``rules publish``."""
    publish = rules_commands.add_parser(
        "publish", help="validate a rules file, then upload it as the deployed rules (no stack deploy)"
    )
    publish.add_argument("file", help="the rules file (may extend the built-in set)")
    publish.add_argument("--stack", help="read bucket, key and KMS key from this stack's outputs")
    publish.add_argument("--bucket", help=f"rules bucket (stack output RulesBucketName; ${BUCKET_ENV})")
    publish.add_argument("--key", help=f"object key (RulesObjectKey; ${KEY_ENV}; default {DEFAULT_KEY})")
    publish.add_argument(
        "--kms-key", help=f"KMS key for SSE-KMS (RulesKeyArn; ${KMS_ENV}; default: the bucket's)"
    )
    publish.add_argument("--region", help="AWS region (default: your AWS configuration)")
    publish.add_argument("--dry-run", action="store_true", help="validate only, upload nothing")


def run_test(args: argparse.Namespace) -> int:
    """Run every rule's examples; exit 1 naming each rule whose example misbehaves."""
    from leakguard.rules import load_rules
    from leakguard.rules.selftest import run_examples

    ruleset = load_rules(args.rules)
    failures = run_examples(ruleset)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    examples = sum(len(r.examples_match) + len(r.examples_nomatch) for r in ruleset.rules)
    print(f"{len(ruleset.rules)} rules, {examples} examples: {len(failures)} failed")
    return 1 if failures else 0


def run_lint(args: argparse.Namespace) -> int:
    """Report every invalid rule; exit 1 if there is any."""
    from leakguard.rules.selftest import lint

    problems = lint(args.rules)
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


def run_publish(args: argparse.Namespace, session: Any | None = None) -> int:
    """Validate ``args.file``; exit 1 listing every problem, else upload it and name the new version."""
    from leakguard.rules.check import check_text

    path = Path(args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc
    verdict = check_text(body, source=str(path))
    for problem in verdict.problems:
        print(f"ERROR {problem}", file=sys.stderr)
    if not verdict.ok:
        print(f"refused: {len(verdict.problems)} problem(s); nothing was published", file=sys.stderr)
        return 1
    ruleset = verdict.accepted()
    if args.dry_run:
        print(f"{path}: {len(ruleset.rules)} rules valid (dry run: nothing published)")
        return 0
    return _upload(args, body, len(ruleset.rules), session)


def _upload(args: argparse.Namespace, body: bytes, rules: int, session: Any | None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leakguard.aws import AwsCallError
    from leakguard.aws.rules_object import RulesObject

    session = session or boto3.Session(region_name=args.region)
    try:
        where = _destination(args, session)
        target = RulesObject(where["bucket"], where["key"], session.client("s3"))
        kms_key = where.get("kms_key") or target.default_kms_key()
        version = target.publish(body, kms_key_id=kms_key)
    except (BotoCoreError, ClientError) as exc:
        raise AwsCallError(f"rules publish: {exc}") from None
    encryption = f"SSE-KMS {kms_key}" if kms_key else "SSE-S3"
    print(f"published {rules} rules to {target.url} as version {version.label} ({encryption})")
    return 0


def _destination(args: argparse.Namespace, session: Any) -> dict[str, str]:
    """Bucket, key and KMS key: flags, else the environment, else the stack's outputs."""
    found = {
        "bucket": args.bucket or os.environ.get(BUCKET_ENV, ""),
        "key": args.key or os.environ.get(KEY_ENV, ""),
        "kms_key": args.kms_key or os.environ.get(KMS_ENV, ""),
    }
    if args.stack:
        stacks = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        for field, output in OUTPUTS.items():
            found[field] = found[field] or outputs.get(output, "")
    if not found["bucket"]:
        raise ConfigError(f"rules publish needs --bucket, ${BUCKET_ENV} or --stack (output RulesBucketName)")
    found["key"] = found["key"] or DEFAULT_KEY
    return found
