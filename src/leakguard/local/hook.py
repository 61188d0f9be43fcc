"""The local remote's server-side hook: CodeCommit's reference events, emitted for every pushed ref.

git runs ``post-receive`` once per push with one ``<old> <new> <ref>`` line per updated ref, which is
exactly the granularity of CodeCommit's "CodeCommit Repository State Change" events. The hook sends
them to the default event bus of the embedded AWS, where the OnPush rule routes them as in AWS.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError

ZERO = "0" * 40
_MARKER = "leakguard local hook"
_PREFIXES = {"refs/heads/": "branch", "refs/tags/": "tag"}


def reference_event(
    *, repository: str, region: str, account: str, old: str, new: str, ref: str, caller: str
) -> dict[str, Any] | None:
    """The PutEvents entry CodeCommit would emit for one ref update; None for refs it does not report."""
    prefix = next((p for p in _PREFIXES if ref.startswith(p)), None)
    if prefix is None:
        return None
    ref_type = _PREFIXES[prefix]
    detail: dict[str, Any] = {
        "callerUserArn": caller,
        "repositoryId": f"local-{repository}",
        "repositoryName": repository,
        "referenceType": ref_type,
        "referenceName": ref[len(prefix) :],
        "referenceFullName": ref,
    }
    if old == ZERO:
        detail.update(event="referenceCreated", commitId=new)
    elif new == ZERO:
        detail.update(event="referenceDeleted", oldCommitId=old)
    else:
        detail.update(event="referenceUpdated", oldCommitId=old, commitId=new)
    return {
        "Source": "aws.codecommit",
        "DetailType": "CodeCommit Repository State Change",
        "Resources": [f"arn:aws:codecommit:{region}:{account}:{repository}"],
        "Detail": json.dumps(detail),
    }


def install_hook(bare_repository: Path, *, repository: str, environment: dict[str, str], caller: str) -> Path:
    """Write the ``post-receive`` hook of ``bare_repository``; it runs this module with this Python."""
    settings = {**environment, "LEAKGUARD_LOCAL_REPOSITORY": repository, "LEAKGUARD_LOCAL_CALLER": caller}
    exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in sorted(settings.items()))
    hook = bare_repository / "hooks" / "post-receive"
    if hook.exists() and _MARKER not in hook.read_text(encoding="utf-8", errors="replace"):
        raise ConfigError(f"{hook} exists and is not leakguard's: refusing to replace it")
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(
        f"#!/bin/sh\n# {_MARKER}: emits CodeCommit reference events to the local leakguard bus.\n{exports}"
        f"exec {shlex.quote(sys.executable)} -m leakguard.local.hook\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    return hook


def main() -> int:
    """Hook entry point: read git's ref lines from stdin, put one event per ref."""
    import boto3
    from botocore.config import Config

    # git waits for this hook, and the pusher waits for git: never hang on the local AWS.
    config = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2})
    repository = os.environ["LEAKGUARD_LOCAL_REPOSITORY"]
    caller = os.environ["LEAKGUARD_LOCAL_CALLER"]
    region = os.environ["AWS_DEFAULT_REGION"]
    account = boto3.client("sts", config=config).get_caller_identity()["Account"]
    entries = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 3:
            continue
        entry = reference_event(
            repository=repository,
            region=region,
            account=account,
            old=parts[0],
            new=parts[1],
            ref=parts[2],
            caller=caller,
        )
        if entry is not None:
            entries.append(entry)
    events = boto3.client("events", config=config)
    for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
        events.put_events(Entries=entries[start : start + 10])
    return 0


if __name__ == "__main__":
    sys.exit(main())
