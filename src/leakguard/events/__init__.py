"""Event models: what CodeCommit sends the inspector, and the security event the inspector emits."""

from leakguard.events.codecommit import CodeCommitEvent, CodeCommitEventDetail, parse_codecommit_event
from leakguard.events.security import (
    SECURITY_EVENT_DETAIL_TYPE,
    SECURITY_EVENT_SOURCE,
    SecurityEvent,
    incident_id,
    parse_security_event,
    security_event_schema,
)

__all__ = [
    "SECURITY_EVENT_DETAIL_TYPE",
    "SECURITY_EVENT_SOURCE",
    "CodeCommitEvent",
    "CodeCommitEventDetail",
    "SecurityEvent",
    "incident_id",
    "parse_codecommit_event",
    "parse_security_event",
    "security_event_schema",
]
