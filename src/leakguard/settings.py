"""One typed settings model per Lambda, read once from the environment at cold start.

Names are those of ``docs/pipeline-contract.md``. The core never reads ``os.environ``; a handler builds
its settings with ``from_env()`` and passes them on. Anything that must be set has no default, so a
misconfigured function fails at cold start with a message naming the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leakguard.acceptance.policy import DEFAULT_POLICY, AcceptancePolicy
from leakguard.errors import ConfigError

DEFAULT_REMOTE_TEMPLATE = "codecommit::{region}://{repository}"


class RemediationSwitches(BaseModel):
    """Opt-in remediations of one repository (notify is always on)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lock: bool = False
    reset: bool = False


class _Settings(BaseModel):
    """Shared parsing: env var names are the field aliases; JSON-valued variables are decoded."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")
    _json_fields: ClassVar[tuple[str, ...]] = ()

    region: str = Field(alias="AWS_REGION", default="us-east-1")
    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME", default="leakguard")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Build from ``environ`` (default ``os.environ``); raise :class:`ConfigError` naming the variable."""
        env: dict[str, Any] = dict(os.environ if environ is None else environ)
        for name in cls._json_fields:
            if name in env:
                try:
                    env[name] = json.loads(env[name])
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{name} is not valid JSON: {exc.msg}") from None
        try:
            return cls.model_validate(env)
        except ValidationError as exc:
            problems = "; ".join(
                ": ".join(filter(None, (".".join(str(p) for p in e["loc"]), e["msg"]))) for e in exc.errors()
            )
            raise ConfigError(f"{cls.__name__}: {problems}") from None


class _GitRemote(_Settings):
    git_remote_template: str = Field(alias="GIT_REMOTE_TEMPLATE", default=DEFAULT_REMOTE_TEMPLATE)
    #: Where clones are cached across warm invocations (optional; tests point it at tmp_path).
    clone_root: str = Field(alias="LEAKGUARD_CLONE_ROOT", default="/tmp/leakguard")  # noqa: S108
    #: The most the cached clones may take on disk, in MB; unset: half of the filesystem of
    #: ``clone_root`` (in Lambda, half of the function's ephemeral storage).
    clone_budget_mb: float | None = Field(alias="LEAKGUARD_CLONE_BUDGET_MB", default=None, gt=0)

    @property
    def clone_budget_bytes(self) -> int | None:
        """The clone cache's byte budget, None for the default share of ``/tmp``."""
        return None if self.clone_budget_mb is None else int(self.clone_budget_mb * 1024 * 1024)

    @field_validator("git_remote_template")
    @classmethod
    def _has_repository(cls, value: str) -> str:
        if "{repository}" not in value:
            raise ValueError("must contain {repository}")
        return value

    def remote_for(self, repository: str) -> str:
        """The git remote of ``repository`` (may carry no credentials; never log it anyway)."""
        return self.git_remote_template.replace("{region}", self.region).replace("{repository}", repository)


class _Remediations(_Settings):
    """The deployment's per-repository remediation switches (``REMEDIATIONS``)."""

    _json_fields: ClassVar[tuple[str, ...]] = ("REMEDIATIONS",)

    remediations: dict[str, RemediationSwitches] = Field(alias="REMEDIATIONS")

    def remediations_for(self, repository: str) -> RemediationSwitches:
        """The repository's own switches, else the ``*`` entry, else none."""
        return self.remediations.get(repository) or self.remediations.get("*") or RemediationSwitches()


class _Rules(_Settings):
    """Where a function's rules come from: the published S3 object, else ``RULES_PATH``, else bundled.

    ``RULES_BUCKET``/``RULES_KEY``: the rules object ``leakguard rules publish`` writes (the stack sets
    both; without them only the bundled rules or ``RULES_PATH`` are used, as in the local demo);
    ``RULES_REFRESH_SECONDS``: how old a warm sandbox's check of the object may get before the next scan
    checks again (a 304 when nothing changed). ``RULES_PATH`` is the fallback until a version is valid.
    """

    rules_path: str | None = Field(alias="RULES_PATH", default=None)
    rules_bucket: str | None = Field(alias="RULES_BUCKET", default=None)
    rules_key: str | None = Field(alias="RULES_KEY", default=None)
    rules_refresh_seconds: int = Field(alias="RULES_REFRESH_SECONDS", default=300, ge=1, le=86_400)

    @model_validator(mode="after")
    def _bucket_and_key_together(self) -> Self:
        if bool(self.rules_bucket) != bool(self.rules_key):
            raise ValueError("RULES_BUCKET and RULES_KEY are set together or not at all")
        return self


class InspectorSettings(_GitRemote, _Remediations, _Rules):
    """Environment of the inspector function."""

    #: Cold clones are blobless partial clones, blobs fetched for the pushes that need them
    #: (:mod:`leakguard.inspection.clone`); off: every clone is full.
    partial_clone: bool = Field(alias="LEAKGUARD_PARTIAL_CLONE", default=True)

    _json_fields: ClassVar[tuple[str, ...]] = ("WATCHED_REPOSITORIES", "REMEDIATIONS", "ACCEPTANCE_POLICY")

    event_bus_name: str = Field(alias="EVENT_BUS_NAME")
    report_bucket: str = Field(alias="REPORT_BUCKET")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    #: The durable record of scanned commits (see leakguard.aws.scan_record).
    scan_record_table: str = Field(alias="SCAN_RECORD_TABLE")
    #: The admins' topic, for the one warning the inspector sends itself (a commit vanished unscanned).
    topic_arn: str = Field(alias="TOPIC_ARN")
    watched_repositories: tuple[str, ...] = Field(alias="WATCHED_REPOSITORIES")
    #: The deployment's fingerprint key (Secrets Manager id): the same fingerprints as developers'.
    fingerprint_key_secret: str = Field(alias="FINGERPRINT_KEY_SECRET")
    #: Per repository (or ``*``): ``honour`` in-repository acceptances (audited) or treat them as findings.
    acceptance_policy: dict[str, AcceptancePolicy] = Field(alias="ACCEPTANCE_POLICY", default_factory=dict)

    def acceptance_policy_for(self, repository: str) -> AcceptancePolicy:
        """The repository's own policy, else the ``*`` entry, else ``honour``."""
        return self.acceptance_policy.get(repository) or self.acceptance_policy.get("*") or DEFAULT_POLICY

    #: A clean push whose content could not all be read gets a low-severity notice: ``unreadable``
    #: (text not read in full: oversized, encrypted or refused archives), ``all`` (binaries too), ``off``.
    skipped_content_notice: Literal["off", "unreadable", "all"] = Field(
        alias="SKIPPED_CONTENT_NOTICE", default="unreadable"
    )
    #: Set by Lambda itself: the function's memory, which decides its vCPUs (1 per 1,769 MB).
    memory_mb: int | None = Field(alias="AWS_LAMBDA_FUNCTION_MEMORY_SIZE", default=None, ge=128)

    @property
    def scan_jobs(self) -> int:
        """Processes the scan of a push runs in: the vCPUs the function's memory gives it (one below
        1,769 MB, and outside Lambda, where the inspector runs inside tests and the local demo)."""
        from leakguard.pool import lambda_vcpus

        return lambda_vcpus(self.memory_mb) if self.memory_mb is not None else 1

    def watches(self, repository: str) -> bool:
        """True when the configuration watches ``repository`` (``["*"]`` watches every one)."""
        return "*" in self.watched_repositories or repository in self.watched_repositories


class NotifySettings(_Settings):
    """Environment of the notify function."""

    topic_arn: str = Field(alias="TOPIC_ARN")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    report_bucket: str = Field(alias="REPORT_BUCKET")


class LockSettings(_Remediations, _Rules):
    """Environment of the lock function.

    ``REMEDIATIONS``: lock acts only where it is enabled; the rules (``RULES_*``) it confirms an
    incident with (over the CodeCommit API) are the inspector's own active rules.
    """

    lock_tag_key: str = Field(alias="LOCK_TAG_KEY", default="RepoState")
    lock_tag_value: str = Field(alias="LOCK_TAG_VALUE", default="locked")
    topic_arn: str = Field(alias="TOPIC_ARN")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")


class ResetSettings(_GitRemote, _Remediations, _Rules):
    """Environment of the reset function.

    ``REMEDIATIONS``: reset acts only where the deployment enables it, whatever an event says; the
    rules (``RULES_*``) it re-scans leaking commits with are the inspector's own active rules.
    """

    quarantine_bucket: str = Field(alias="QUARANTINE_BUCKET")
    topic_arn: str = Field(alias="TOPIC_ARN")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    report_bucket: str = Field(alias="REPORT_BUCKET")
    #: Where reset marks the leaking commits it removed (a push bringing them back alerts again).
    scan_record_table: str = Field(alias="SCAN_RECORD_TABLE")
