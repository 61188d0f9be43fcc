"""Notify: one email per incident (the handler's idempotency makes a duplicate delivery a no-op)."""

from __future__ import annotations

from typing import Any

from leakguard.acceptance.notice import notice_body, notice_subject
from leakguard.aws.notifications import Publisher
from leakguard.events.bypass import BypassNotice
from leakguard.events.security import SecurityEvent
from leakguard.remediate.email import email_body, email_subject


class Notifier:
    """Sends the incident email to the admins' SNS topic."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def notify(self, incident: SecurityEvent) -> dict[str, Any]:
        """Publish the email; return what was sent (subject only: the body stays out of logs)."""
        subject = email_subject(incident)
        message_id = self.publisher.publish(subject, email_body(incident))
        return {"status": "notified", "incidentId": incident.incidentId, "messageId": message_id}

    def notify_bypass(self, notice: BypassNotice) -> dict[str, Any]:
        """Publish the audit notice of honoured bypasses (no action was taken on the repository)."""
        message_id = self.publisher.publish(notice_subject(notice), notice_body(notice))
        return {"status": "notified", "noticeId": notice.noticeId, "messageId": message_id}
