"""CodeCommit's "CodeCommit Repository State Change" event as a typed Powertools model.

Powertools ships no CodeCommit model, so the detail is typed here. Every ref name and commit id is
validated while parsing: a crafted event is refused before any value reaches git.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from leakguard.errors import EventError, LeakguardError
from leakguard.refnames import validate_commit_id, validate_ref_name

#: CodeCommit repository names: letters, digits, '.', '_', '-'; at most 100 characters.
_REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_REF_PREFIX = {"branch": "refs/heads/", "tag": "refs/tags/"}

ReferenceEvent = Literal["referenceCreated", "referenceUpdated", "referenceDeleted"]


def validate_repository_name(name: str) -> str:
    """Return ``name`` if CodeCommit could have named a repository so; it becomes a path and a URL."""
    if not _REPOSITORY_NAME.match(name or "") or name in (".", ".."):
        raise EventError(f"invalid repository name {name!r}")
    return name


def _as_value_error(check: Callable[[str], str], value: str) -> str:
    """pydantic turns only ``ValueError`` into a validation error; ours derive from LeakguardError."""
    try:
        return check(value)
    except LeakguardError as exc:
        raise ValueError(str(exc)) from None


class CodeCommitEventDetail(BaseModel):
    """The ``detail`` of a reference event; merge fields of console merges are kept but unused."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event: ReferenceEvent
    repositoryName: str
    repositoryId: str | None = None
    referenceType: Literal["branch", "tag"]
    referenceName: str
    referenceFullName: str
    commitId: str | None = None
    oldCommitId: str | None = None
    callerUserArn: str | None = None

    @field_validator("repositoryName")
    @classmethod
    def _repository(cls, value: str) -> str:
        return _as_value_error(validate_repository_name, value)

    @field_validator("referenceName", "referenceFullName")
    @classmethod
    def _ref(cls, value: str) -> str:
        return _as_value_error(validate_ref_name, value)

    @field_validator("commitId", "oldCommitId")
    @classmethod
    def _commit(cls, value: str | None) -> str | None:
        return None if value is None else _as_value_error(validate_commit_id, value)

    @model_validator(mode="after")
    def _consistent(self) -> CodeCommitEventDetail:
        """The full name must be the short name under the prefix of its type, and ids must fit the event."""
        if self.referenceFullName != _REF_PREFIX[self.referenceType] + self.referenceName:
            raise ValueError(
                f"referenceFullName {self.referenceFullName!r} does not match "
                f"{self.referenceType} {self.referenceName!r}"
            )
        if self.event != "referenceDeleted" and self.commitId is None:
            raise ValueError(f"{self.event} without commitId")
        if self.event == "referenceUpdated" and self.oldCommitId is None:
            raise ValueError("referenceUpdated without oldCommitId")
        return self


class CodeCommitEvent(EventBridgeModel):
    """A CodeCommit reference event as EventBridge delivers it."""

    detail: CodeCommitEventDetail  # type: ignore[assignment]

    @property
    def repository_arn(self) -> str | None:
        """The repository's ARN (CodeCommit puts it first in ``resources``)."""
        return self.resources[0] if self.resources else None


def parse_codecommit_event(event: dict[str, Any]) -> CodeCommitEvent:
    """Parse and validate a raw event; raise :class:`EventError` with a readable cause otherwise.

    The message names the fields at fault but never echoes whole input values back beyond the short
    text pydantic gives, so a malformed event cannot push arbitrary text into a log line.
    """
    try:
        return CodeCommitEvent.model_validate(event)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'event'}: {error['msg'][:200]}"
            for error in exc.errors()
        )
        raise EventError(f"malformed CodeCommit event: {problems}") from None
