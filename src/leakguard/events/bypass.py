"""The bypass notice: a push whose every finding the repository itself accepted.

A developer's ``.leakguardignore`` entry or ``leakguard:allow`` comment is honoured (no lock, no reset)
but never silent: the inspector emits this notice, which only the notify function receives, so admins
see who accepted what, in which commit and why. Its own detail-type keeps it out of the lock and reset
rules: a consumer of security events can never mistake it for an incident.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, ValidationError
from referencing import Registry, Resource

from leakguard.errors import EventError
from leakguard.events.security import Reference, Repository, security_event_schema

BYPASS_NOTICE_DETAIL_TYPE = "CodeCommit Bypass Notice"
_SCHEMA_FILE = "bypass-notice.v1.schema.json"
#: Accepted findings listed in a notice; the count says how many there were in all.
MAX_LISTED = 100


@lru_cache(maxsize=1)
def bypass_notice_schema() -> dict[str, Any]:
    """The versioned JSON schema of the notice's detail."""
    text = Path(str(resources.files("leakguard.events") / _SCHEMA_FILE)).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    security = security_event_schema()
    registry: Registry[Any] = Registry().with_resource(security["$id"], Resource.from_contents(security))
    return jsonschema.Draft202012Validator(bypass_notice_schema(), registry=registry)


def notice_id(repository: str, full_ref: str, new_commit: str) -> str:
    """Deterministic notice id: duplicate deliveries of one push give the same id (idempotency key)."""
    material = "\x00".join(("leakguard-bypass/v1", repository, full_ref, new_commit))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def validate_notice(detail: dict[str, Any]) -> None:
    """Raise :class:`EventError` naming the first field that breaks the schema."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(detail))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "detail"
        raise EventError(f"bypass notice does not match schema v1: {where}: {error.message[:300]}")


class BypassNotice(BaseModel):
    """The typed detail of a ``CodeCommit Bypass Notice`` (schema v1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schemaVersion: Literal["1"] = "1"
    noticeId: str
    detectedAt: str
    account: str | None = None
    region: str | None = None
    repository: Repository
    reference: Reference
    pusher: str | None
    acceptedFindings: list[dict[str, Any]]
    acceptedCount: int
    policy: Literal["honour"] = "honour"

    def to_detail(self) -> dict[str, Any]:
        """The JSON-ready detail, validated against the schema."""
        detail = self.model_dump(mode="json")
        validate_notice(detail)
        return detail


def is_bypass_notice(event: dict[str, Any]) -> bool:
    """True for an EventBridge envelope carrying a bypass notice."""
    return event.get("detail-type") == BYPASS_NOTICE_DETAIL_TYPE


def parse_bypass_notice(event: dict[str, Any]) -> BypassNotice:
    """Accept an EventBridge envelope (or a bare detail), validate it, type it."""
    detail = event.get("detail", event) if "detail-type" in event else event
    if not isinstance(detail, dict):
        raise EventError("bypass notice detail is not an object")
    validate_notice(detail)
    try:
        return BypassNotice.model_validate(detail)
    except ValidationError as exc:  # pragma: no cover - the schema is stricter than the model
        raise EventError(f"malformed bypass notice: {exc.errors()[0]['msg']}") from None
