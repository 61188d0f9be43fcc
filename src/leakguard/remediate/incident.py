"""Loading an incident as a consumer: check who sent it, validate it, fetch the full report if truncated.

EventBridge fills an envelope's ``source`` and ``account`` from the caller of PutEvents, and the bus
policy lets only the inspector's role put events there. A consumer still checks the envelope itself:
an event from another source, another account or a schema version it does not know is refused before
anything reads its detail.
"""

from __future__ import annotations

from typing import Any

from leakguard.aws.storage import ObjectStore
from leakguard.errors import EventError
from leakguard.events.security import (
    SCHEMA_VERSION,
    SECURITY_EVENT_DETAIL_TYPE,
    SECURITY_EVENT_SOURCE,
    SecurityEvent,
    parse_security_event,
)


class UntrustedEventError(EventError):
    """The envelope does not come from this deployment's inspector (source, account or schema)."""


def check_sender(event: Any, *, account: str | None) -> None:
    """Raise :class:`UntrustedEventError` unless ``event`` is an EventBridge envelope that this
    deployment's inspector sent: leakguard's source, from the consumer's own ``account`` (from its
    function ARN; None skips that one check)."""
    if not isinstance(event, dict) or "detail-type" not in event or "source" not in event:
        raise UntrustedEventError("not an EventBridge event envelope")
    if event.get("source") != SECURITY_EVENT_SOURCE:
        raise UntrustedEventError(f"source {_shown(event.get('source'))} is not {SECURITY_EVENT_SOURCE}")
    if account is not None and event.get("account") != account:
        raise UntrustedEventError(f"sent from account {_shown(event.get('account'))}, not from {account}")


def check_envelope(event: Any, *, account: str | None) -> None:
    """:func:`check_sender`, and the envelope holds a security event of the schema version we know."""
    check_sender(event, account=account)
    if event.get("detail-type") != SECURITY_EVENT_DETAIL_TYPE:
        raise UntrustedEventError(f"detail-type {_shown(event.get('detail-type'))} is not a security event")
    detail = event.get("detail")
    version = detail.get("schemaVersion") if isinstance(detail, dict) else None
    if version != SCHEMA_VERSION:
        raise UntrustedEventError(
            f"schema version {_shown(version)} is not the version {SCHEMA_VERSION} this consumer knows"
        )


def _shown(value: Any) -> str:
    """A field of an untrusted envelope, safe to put in a log line or an alert (short, no newlines)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_incident(
    event: dict[str, Any], store: ObjectStore | None = None, *, account: str | None = None
) -> SecurityEvent:
    """The incident of a security event, complete: the S3 report replaces a truncated detail."""
    check_envelope(event, account=account)
    incident = parse_security_event(event)
    if incident.findingsTruncated and incident.report is not None and store is not None:
        full = parse_security_event(store.get_json(incident.report.bucket, incident.report.key))
        # The stored report predates its own location: keep the pointer for the email.
        incident = full.model_copy(update={"report": incident.report})
    return incident


def quarantine_prefix(repository: str, incident_id: str) -> str:
    """Where reset stores the bundles (one per reset plan) and manifests of an incident."""
    return f"quarantine/{repository}/{incident_id}/"
