"""Quarantine: every commit a reset removes, saved as a verified git bundle (and a manifest) in S3 first.

Nothing leaves a ref before its commits are stored. One bundle per reset plan holds every commit that
leaves any ref (``heads --not survivors``); before it is uploaded it is checked in a scratch
repository: its refs are exactly the plan's, its prerequisites are commits the repository keeps, and
unbundling it yields every object the removed commits need. Each plan gets its own object, named by
a digest of the plan, so a retry never overwrites what an earlier attempt stored and a duplicate run
of the same plan writes the same object again. ``leakguard restore`` fetches every bundle of an
incident.

No temporary ref is created in the clone: the bundle is made from the refs being removed themselves.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leakguard.aws.storage import ObjectStore
from leakguard.errors import LeakguardError
from leakguard.git import Git, validate_commit_id
from leakguard.inspection.commits import list_commits
from leakguard.remediate.incident import quarantine_prefix
from leakguard.remediate.plan import Plan


class QuarantineError(LeakguardError):
    """The bundle could not be made, verified or stored; no ref was changed."""


@dataclass(frozen=True)
class Quarantined:
    """Where the bundle of one plan went and what it holds."""

    bucket: str
    key: str
    manifest_key: str
    commits: list[str]

    @property
    def url(self) -> str:
        """``s3://`` address for messages."""
        return f"s3://{self.bucket}/{self.key}"


def plan_digest(plan: Plan) -> str:
    """A name for the plan's bundle: the same plan always gets the same name, another plan another."""
    material = json.dumps(
        {"refs": [[a.ref, a.tip.raw, a.target] for a in plan.actions], "survivors": list(plan.survivors)},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def quarantine(
    git: Git,
    store: ObjectStore,
    *,
    bucket: str,
    repository: str,
    incident_id: str,
    plan: Plan,
    scratch: Path,
) -> Quarantined:
    """Bundle what ``plan`` removes, verify the bundle, upload it, then write its manifest.

    Raises :class:`QuarantineError` (or the store's own error) before anything is pushed.
    """
    if not plan.actions:
        raise QuarantineError("nothing to quarantine: the plan changes no ref")
    negative = ["--not", *plan.survivors] if plan.survivors else []
    commits = list_commits(git, [*plan.heads, *negative])
    key = f"{quarantine_prefix(repository, incident_id)}{plan_digest(plan)}.bundle"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    try:
        bundle = scratch / "quarantine.bundle"
        git.run(["bundle", "create", "--quiet", str(bundle), *(a.ref for a in plan.actions), *negative])
        prerequisites = verify_bundle(git, bundle, plan, commits, scratch / "verify.git")
        store.upload_file(bucket, key, bundle)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    manifest: dict[str, Any] = {
        "incidentId": incident_id,
        "repository": repository,
        "bundleKey": key,
        "refs": [
            {
                "ref": a.ref,
                "object": a.tip.raw,
                "commit": a.tip.commit,
                "action": "delete" if a.deletes else "reset",
                "target": a.target,
            }
            for a in plan.actions
        ],
        "survivors": list(plan.survivors),
        "prerequisites": prerequisites,
        "commits": commits,
        "verified": "unbundled in a scratch repository: refs, prerequisites and every object checked",
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    manifest_key = key.removesuffix(".bundle") + ".json"
    store.put_json(bucket, manifest_key, manifest)
    return Quarantined(bucket=bucket, key=key, manifest_key=manifest_key, commits=commits)


def bundle_header(path: Path) -> tuple[dict[str, str], list[str]]:
    """The refs (name → object) and prerequisite commits a bundle file declares."""
    refs: dict[str, str] = {}
    prerequisites: list[str] = []
    with path.open("rb") as handle:
        signature = handle.readline()
        if not signature.startswith(b"# v") or b"git bundle" not in signature:
            raise QuarantineError("not a git bundle")
        for raw in iter(handle.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not line:
                return refs, prerequisites
            if line.startswith("@"):
                continue  # v3 capability
            if line.startswith("-"):
                prerequisites.append(validate_commit_id(line[1:].split(" ", 1)[0]))
            else:
                sha, _, name = line.partition(" ")
                refs[name] = validate_commit_id(sha)
    raise QuarantineError("bundle header is truncated")


def verify_bundle(git: Git, bundle: Path, plan: Plan, commits: Sequence[str], scratch: Path) -> list[str]:
    """Prove the bundle restores everything ``plan`` removes into the repository as the plan leaves it.

    1. Its refs are exactly the refs the plan changes, at the objects the plan saw.
    2. Every prerequisite is a commit the repository keeps (reachable from a survivor), so a fresh
       clone after the reset can unbundle it: a bundle whose prerequisites left with the reset is
       exactly the one that cannot be restored.
    3. Unbundled into a scratch repository (borrowing the clone's objects only to complete thin
       deltas), it yields every object reachable from the removed heads but not from what the
       repository keeps: with 2, a clone of the repository after the reset restores everything.
       Returns the prerequisites for the manifest.
    """
    refs, prerequisites = bundle_header(bundle)
    expected = {a.ref: a.tip.raw for a in plan.actions}
    if refs != expected:
        raise QuarantineError("bundle refs differ from the reset plan")
    if prerequisites and (
        not plan.survivors or git.text(["rev-list", *prerequisites, "--not", *plan.survivors, "--"])
    ):
        raise QuarantineError("bundle needs commits the repository will not keep after the reset")
    Git(scratch.parent).run(["init", "--quiet", "--bare", "--template=", str(scratch)])
    alternates = scratch / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(str((git.repo / "objects").resolve()) + "\n", encoding="utf-8")
    scratch_git = Git(scratch, env=git.env, timeout=git.timeout)
    scratch_git.run(["bundle", "verify", "--quiet", str(bundle)])
    scratch_git.run(["bundle", "unbundle", str(bundle)])
    alternates.unlink()  # from here on the scratch repository sees only what the bundle brought
    held = set(scratch_git.text(["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).split())
    negative = ["--not", *plan.survivors] if plan.survivors else []
    needed = {
        line.split(" ", 1)[0]
        for line in git.text(["rev-list", "--objects", *expected.values(), *negative, "--"]).splitlines()
        if line
    }
    absent = (needed | set(commits)) - held
    if absent:
        raise QuarantineError(f"bundle lacks {len(absent)} object(s) the removed commits need")
    return prerequisites
