"""The security event: one per push with findings, the contract between the inspector and its consumers.

The detail is plain JSON validated against ``security-event.v1.schema.json`` on both sides: the
inspector validates what it emits, each consumer validates what it accepts, so the two cannot drift.
The inspector validates each event once, the detail it puts on the bus: a 10,000-commit detail takes
jsonschema about a second per pass, so the full report of an oversized event (stored in S3, read and
validated by every consumer that needs it) is not validated a second time on the way out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, ValidationError

from leakguard.errors import EventError

if TYPE_CHECKING:
    from leakguard.events.codecommit import CodeCommitEvent

SECURITY_EVENT_SOURCE = "leakguard.inspector"
SECURITY_EVENT_DETAIL_TYPE = "CodeCommit Security Event"
SCHEMA_VERSION = "1"
_SCHEMA_FILE = "security-event.v1.schema.json"


@lru_cache(maxsize=1)
def security_event_schema() -> dict[str, Any]:
    """The versioned JSON schema of the event's detail."""
    text = Path(str(resources.files("leakguard.events") / _SCHEMA_FILE)).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def incident_id(repository: str, leaking: Iterable[str], *, after: Iterable[str] = ()) -> str:
    """Deterministic incident id from the repository and its leaking objects (commits, tag objects).

    Every event of one push that reaches the same leak computes the same set, whichever ref it is
    about and in whichever order the events run, so duplicate deliveries and sibling refs of one push
    share one incident, and the consumers (idempotent on it) email, lock and reset once.

    ``after``: the incidents whose resets removed leaks this push brought back. The same leak pushed
    back is a new incident (the consumers must act again), and every event of that push still agrees
    on its id.
    """
    removed = sorted(set(after))
    parts = ("leakguard-incident/v2", repository, *sorted(set(leaking)))
    if removed:
        parts = (*parts, "\x01after", *removed)
    material = "\x00".join(parts)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """One validator per process: its schema references are resolved once, not at every event."""
    return jsonschema.Draft202012Validator(security_event_schema())


def validate_detail(detail: dict[str, Any]) -> None:
    """Raise :class:`EventError` naming the first field that breaks the schema."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(detail))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "detail"
        raise EventError(
            f"security event does not match schema v{SCHEMA_VERSION}: {where}: {error.message[:300]}"
        )


#: Fields added to v1 after its release: omitted when unset so older consumers' validators still pass.
_OPTIONAL_FIELDS = ("acceptedFindings", "acceptedCount", "acceptancePolicy", "kind", "skipped")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Repository(_Model):
    """The repository the leak was pushed to."""

    name: str
    arn: str | None


class Reference(_Model):
    """The ref the push moved, and how."""

    type: Literal["branch", "tag"]
    name: str
    fullName: str
    event: Literal["referenceCreated", "referenceUpdated"]
    oldCommitId: str | None
    newCommitId: str
    forced: bool


def pushed_reference(
    event: CodeCommitEvent, *, forced: bool, shown: Callable[[str], str] = lambda name: name
) -> Reference:
    """The ref a CodeCommit push event moved (deletions never get this far: nothing to scan).

    ``shown`` masks a name that holds a credential: the event never carries it in clear, so a
    consumer gets the masked name and the commit, which identify the ref to a person.
    """
    detail = event.detail
    if detail.commitId is None or detail.event == "referenceDeleted":
        raise EventError("a deleted reference has no pushed commit")
    return Reference(
        type=detail.referenceType,
        name=shown(detail.referenceName),
        fullName=shown(detail.referenceFullName),
        event=detail.event,
        oldCommitId=detail.oldCommitId,
        newCommitId=detail.commitId,
        forced=forced,
    )


class AffectedRef(_Model):
    """A branch or tag that carries a leak after the push: at or past a leaking commit, or a leaking tag."""

    fullName: str
    commitId: str
    objectId: str


class BroughtBack(_Model):
    """A leaking commit a reset had removed from every ref, put back by this push."""

    commit: str
    removedBy: str


class CommitRef(_Model):
    """An introduced commit and its author."""

    id: str
    author: str | None


class Remediations(_Model):
    """Which remediations the configuration enables for this repository (notify is always on)."""

    notify: bool = True
    lock: bool
    reset: bool


class ReportLocation(_Model):
    """Where the full report is when the event had to be truncated."""

    bucket: str
    key: str


class ScanStats(_Model):
    """What the scan read."""

    commits: int
    files: int
    bytes: int
    skippedFiles: int
    durationMs: int


class SkippedRef(_Model):
    """Content of the push that could not be read, and why."""

    path: str
    reason: str
    commit: str | None = None


class SecurityEvent(_Model):
    """The typed detail of a ``CodeCommit Security Event`` (schema v1)."""

    schemaVersion: Literal["1"] = "1"
    incidentId: str
    detectedAt: str
    mode: Literal["enforce", "monitor"]
    account: str | None = None
    region: str | None = None
    repository: Repository
    reference: Reference
    pusher: str | None
    commits: list[CommitRef]
    commitCount: int
    leakingCommits: list[str]
    findings: list[dict[str, Any]]
    findingCount: int
    findingsTruncated: bool
    lastCleanCommitId: str | None
    remediations: Remediations
    report: ReportLocation | None
    scan: ScanStats
    # Optional in v1 (absent, not null, when unset): the audit trail of in-repository acceptances.
    acceptedFindings: list[dict[str, Any]] | None = None
    acceptedCount: int | None = None
    acceptancePolicy: Literal["honour", "findings"] | None = None
    # Optional in v1: a notice (no finding, content not all read) and what the push carried unread.
    kind: Literal["incident", "notice"] | None = None
    skipped: list[SkippedRef] | None = None
    references: list[AffectedRef] = []
    vanishedCommits: list[str] = []
    broughtBack: list[BroughtBack] = []
    firstSight: bool = False

    @property
    def enforced(self) -> bool:
        """Only enforce incidents may lock or reset; monitor incidents are notified only."""
        return self.mode == "enforce"

    @property
    def ref_names_only(self) -> bool:
        """Every finding is in a ref's own name: no commit or tag message to remove, only refs to delete.

        Lock and reset leave such an incident to the admins (the email says what to do): the name
        is the leak, and the event carries it masked.
        """
        return (
            not self.leakingCommits
            and bool(self.findings)
            and all(f.get("source") == "ref-name" for f in self.findings)
        )

    def to_detail(self) -> dict[str, Any]:
        """The JSON-ready detail, validated against the schema."""
        detail = self.to_unvalidated_detail()
        validate_detail(detail)
        return detail

    def to_unvalidated_detail(self) -> dict[str, Any]:
        """The JSON-ready detail without the schema check, for a caller that validates what it sends.

        The inspector's full report of an oversized event: it validates the bus detail made from the
        same model, and every consumer validates the report when it reads it.
        """
        detail = self.model_dump(mode="json")
        for name in _OPTIONAL_FIELDS:
            if detail.get(name) is None:
                detail.pop(name, None)
        return detail


def parse_security_event(event: dict[str, Any]) -> SecurityEvent:
    """Accept an EventBridge envelope (or a bare detail), validate it against the schema, type it."""
    if event.get("detail-type") not in (None, SECURITY_EVENT_DETAIL_TYPE):
        raise EventError(f"not a security event: detail-type {event.get('detail-type')!r}")
    detail = event.get("detail", event) if "detail-type" in event else event
    if not isinstance(detail, dict):
        raise EventError("security event detail is not an object")
    validate_detail(detail)
    try:
        return SecurityEvent.model_validate(detail)
    except ValidationError as exc:  # pragma: no cover - the schema is stricter than the model
        raise EventError(f"malformed security event: {exc.errors()[0]['msg']}") from None
