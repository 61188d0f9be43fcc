"""PutEvents of the security event on the custom bus."""

from __future__ import annotations

import json
from typing import Any

import boto3

from leakguard.errors import LeakguardError
from leakguard.events.security import SECURITY_EVENT_DETAIL_TYPE, SECURITY_EVENT_SOURCE

#: EventBridge refuses entries over 256 KB (all fields counted); keep a margin for the envelope.
MAX_DETAIL_BYTES = 240 * 1024


class EventBusError(LeakguardError):
    """EventBridge did not accept the security event."""


class SecurityEventBus:
    """Emits security events; one PutEvents entry per push."""

    def __init__(self, bus_name: str, client: Any | None = None) -> None:
        self.bus_name = bus_name
        self.client = client if client is not None else boto3.client("events")

    def put(
        self,
        detail: dict[str, Any],
        *,
        resources: list[str] | None = None,
        detail_type: str = SECURITY_EVENT_DETAIL_TYPE,
    ) -> str:
        """Put one event; raise :class:`EventBusError` if EventBridge rejected it (the Lambda retries)."""
        entry = {
            "Source": SECURITY_EVENT_SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": self.bus_name,
            "Resources": resources or [],
        }
        response = self.client.put_events(Entries=[entry])
        result = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in result:
            raise EventBusError(
                "PutEvents rejected the security event: "
                f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}"
            )
        return str(result["EventId"])
