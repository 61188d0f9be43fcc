"""``leakguard key pull|show``: the deployment's fingerprint key on a developer's machine or in CI.

``pull`` reads the key the stack created in Secrets Manager with your own AWS credentials (the stack's
``FingerprintKeyReaderPolicyArn`` grants it) and saves it for your user only (0600), so your
fingerprints are the bot's. ``show`` says which key is active, by id, never the key itself.
"""

from __future__ import annotations

import argparse
from typing import Any

from leakguard.keystore import DEFAULT_SECRET_ID, DEPLOYMENT_KEY_FILE, cli_key, config_dir, deployment_key
from leakguard.keystore import write_key_file as write


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``key`` and its sub-commands."""
    key = commands.add_parser("key", help="the fingerprint key shared with the bot")
    sub = key.add_subparsers(dest="key_command", required=True, parser_class=type(key))
    pull = sub.add_parser("pull", help="fetch the deployment's key from Secrets Manager and save it")
    pull.add_argument(
        "--secret-id", default=DEFAULT_SECRET_ID, help=f"secret name or ARN (default {DEFAULT_SECRET_ID})"
    )
    pull.add_argument("--region", help="AWS region (default: your AWS configuration)")
    show = sub.add_parser("show", help="which key is active (its id and where it comes from)")
    show.add_argument("--fingerprint-key-file", metavar="PATH", help="as for `leakguard scan`")


def run(args: argparse.Namespace, client: Any | None = None) -> int:
    """Pull or show; 0 on success (errors are one-line ConfigErrors)."""
    if args.key_command == "show":
        key = cli_key(args.fingerprint_key_file)
        shared = "" if key.shared else " (local to this machine: the bot does not know it)"
        print(f"key {key.key_id} from {key.source}{shared}")
        return 0
    if client is None:
        import boto3

        client = boto3.client("secretsmanager", region_name=args.region)
    key = deployment_key(args.secret_id, client=client)
    path = config_dir() / DEPLOYMENT_KEY_FILE
    write(path, key.material.decode("utf-8"), comment=f"leakguard fingerprint key from {args.secret_id}")
    print(f"saved key {key.key_id} from {args.secret_id} to {path}")
    return 0
