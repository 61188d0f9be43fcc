"""Alerts a remediation sends when it will not or cannot act: never only a log line.

Everything here may come from an untrusted event, so each value is shown escaped and shortened:
an alert must not carry an attacker's text verbatim into the admins' mailbox.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

from leakguard.aws.notifications import Publisher
from leakguard.errors import LeakguardError

logger = logging.getLogger(__name__)

REFUSED = "UNVERIFIED INCIDENT REFUSED"


class UnverifiedIncident(LeakguardError):
    """The event's claims do not hold in the repository; ``reasons`` says which, for the alert."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("unverified incident refused: " + "; ".join(reasons))


_MAX_SHOWN = 200


class RefusedOutcome(Exception):
    """Raised inside an idempotent consumer to return a refusal *without recording it*.

    Powertools deletes the idempotency record of a call that raises, so a refused (forged) event that
    reuses a real incident's id can never make the real incident, arriving later, look done.
    """

    def __init__(self, result: dict[str, object]) -> None:
        self.result = result
        super().__init__(str(result.get("status")))


def shown(value: object, limit: int = _MAX_SHOWN) -> str:
    """``value`` as one printable line: control and format characters escaped, at most ``limit`` long."""
    text = "".join(
        ch if not unicodedata.category(ch).startswith("C") else ch.encode("unicode_escape").decode("ascii")
        for ch in str(value)
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refusal(
    function: str,
    *,
    repository: str | None,
    reference: str | None,
    incident_id: str | None,
    reasons: Sequence[str],
) -> tuple[str, str]:
    """Subject and body of the alert a remediation sends when it refuses an incident."""
    where = " ".join(shown(v, 60) for v in (repository, reference) if v)
    subject = f"[leakguard] {REFUSED}: {function} {where}".rstrip()
    lines = [
        f"leakguard's {function} function refused a security event and changed nothing.",
        "",
        f"Repository: {shown(repository) if repository else 'unknown'}",
        f"Reference:  {shown(reference) if reference else 'unknown'}",
        f"Incident:   {shown(incident_id) if incident_id else 'unknown'}",
        "",
        "Why:",
        *(f"  - {shown(reason, 500)}" for reason in reasons),
        "",
        "What this means: the event's claims do not hold in the repository. Either it was forged (only",
        "leakguard's inspector may put events on the security bus: check CloudTrail for PutEvents on",
        "it), or the repository changed so much since the push that nothing can be verified any more.",
        "If a credential was really pushed, rotate it: the incident email, if any, names it.",
    ]
    return subject, "\n".join(lines) + "\n"


def publish_alert(publisher: Publisher, subject: str, body: str) -> bool:
    """Publish an alert; on failure log it and return False (the caller decides whether to raise)."""
    try:
        publisher.publish(subject, body)
    except Exception:
        logger.exception("could not publish alert %r", subject)
        return False
    return True
