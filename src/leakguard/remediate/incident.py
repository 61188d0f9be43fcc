"""Loading an incident as a consumer: validate the event, fetch the full report when it was truncated."""

from __future__ import annotations

from typing import Any

from leakguard.aws.storage import ObjectStore
from leakguard.events.security import SecurityEvent, parse_security_event


def load_incident(event: dict[str, Any], store: ObjectStore | None = None) -> SecurityEvent:
    """The incident of a security event, complete: the S3 report replaces a truncated detail."""
    incident = parse_security_event(event)
    if incident.findingsTruncated and incident.report is not None and store is not None:
        full = parse_security_event(store.get_json(incident.report.bucket, incident.report.key))
        # The stored report predates its own location: keep the pointer for the email.
        incident = full.model_copy(update={"report": incident.report})
    return incident


def quarantine_key(repository: str, incident_id: str) -> str:
    """Where reset stores the bundle of an incident's removed commits."""
    return f"quarantine/{repository}/{incident_id}.bundle"
