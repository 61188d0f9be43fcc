"""Builds each Lambda's core object from its settings, with real AWS clients unless others are given.

Handlers call these once at cold start; tests call them (or let the handler call them inside moto)
with their own clients. Keeping the wiring here keeps the handlers to a few lines.

Each builder imports what only its function needs inside itself: notify and lock never load GitPython,
the detection engine or the rules (a test in the Lambda layout checks it), which keeps their cold start
to the AWS SDK and Powertools.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from leakguard.aws.notifications import Publisher
from leakguard.aws.storage import ObjectStore
from leakguard.errors import EventError
from leakguard.settings import InspectorSettings, LockSettings, NotifySettings, ResetSettings

if TYPE_CHECKING:
    from leakguard.detect.engine import Detector
    from leakguard.events.security import SecurityEvent
    from leakguard.inspection.inspector import InspectionResult, Inspector
    from leakguard.remediate.lock import Locker
    from leakguard.remediate.notify import Notifier
    from leakguard.remediate.reset import Resetter

METRICS_NAMESPACE = "leakguard"


def build_detector(rules_path: str | None) -> Detector:
    """The deployed rules, compiled: the inspector scans with them and reset re-scans with them.

    One loader for both, so reset confirms a leak under exactly the rules that reported it.
    """
    from leakguard.detect.engine import Detector
    from leakguard.rules import load_rules

    return Detector(load_rules(rules_path))


def build_inspector(
    settings: InspectorSettings,
    *,
    events: Any | None = None,
    s3: Any | None = None,
    secretsmanager: Any | None = None,
    dynamodb: Any | None = None,
    codecommit: Any | None = None,
    sns: Any | None = None,
) -> Inspector:
    """The inspector with its rules compiled and its fingerprint key read once per cold start."""
    from leakguard.aws.commits import CodeCommitObjects
    from leakguard.aws.eventbus import SecurityEventBus
    from leakguard.aws.scan_record import ScanRecordTable
    from leakguard.fingerprints import use_key
    from leakguard.inspection.clone import CloneCache
    from leakguard.inspection.inspector import Inspector
    from leakguard.inspection.record import ScanHistory
    from leakguard.inspection.vanished import VanishedCommits
    from leakguard.keystore import deployment_key

    use_key(deployment_key(settings.fingerprint_key_secret, client=secretsmanager))
    return Inspector(
        settings,
        build_detector(settings.rules_path),
        clones=CloneCache(Path(settings.clone_root) / "inspector", settings.remote_for),
        bus=SecurityEventBus(settings.event_bus_name, events),
        store=ObjectStore(s3),
        history=ScanHistory(ScanRecordTable(settings.scan_record_table, dynamodb)),
        vanished=VanishedCommits(CodeCommitObjects(codecommit)),
        alerts=Publisher(settings.topic_arn, sns),
    )


def build_notifier(settings: NotifySettings, *, sns: Any | None = None) -> Notifier:
    """The notifier publishing to the admins' topic."""
    from leakguard.remediate.notify import Notifier

    return Notifier(Publisher(settings.topic_arn, sns))


def build_locker(settings: LockSettings, *, codecommit: Any | None = None, sns: Any | None = None) -> Locker:
    """The locker with the configured tag."""
    from leakguard.aws.codecommit import RepositoryTags
    from leakguard.remediate.lock import Locker, LockTag

    tags = RepositoryTags(codecommit)
    return Locker(
        LockTag(settings.lock_tag_key, settings.lock_tag_value),
        tags,
        Publisher(settings.topic_arn, sns),
        enabled=lambda repository: settings.remediations_for(repository).lock,
        verify=_lazy_incident_check(settings, tags.client),
    )


def _lazy_incident_check(settings: LockSettings, codecommit: Any) -> Callable[[SecurityEvent], None]:
    """Lock's incident check, built at its first use: the engine and rules stay out of lock's cold start."""

    @cache
    def check() -> Callable[[SecurityEvent], None]:
        from leakguard.aws.commits import CodeCommitObjects
        from leakguard.remediate.lock_verify import ApiIncidentCheck

        detector = build_detector(settings.rules_path)
        return ApiIncidentCheck(CodeCommitObjects(codecommit), lambda: detector)

    return lambda incident: check()(incident)


def build_resetter(settings: ResetSettings, *, s3: Any | None = None, sns: Any | None = None) -> Resetter:
    """The resetter with its own clone cache, the quarantine bucket and the deployed rules."""
    from leakguard.inspection.clone import CloneCache
    from leakguard.remediate.reset import Resetter

    return Resetter(
        clones=CloneCache(Path(settings.clone_root) / "reset", settings.remote_for),
        store=ObjectStore(s3),
        publisher=Publisher(settings.topic_arn, sns),
        quarantine_bucket=settings.quarantine_bucket,
        detector=build_detector(settings.rules_path),
        scratch=Path(settings.clone_root) / "reset-scratch",
        enabled=lambda repository: settings.remediations_for(repository).reset,
    )


def record_inspection(metrics: Metrics, result: InspectionResult) -> None:
    """The inspector's metrics: pushes scanned, commits, bytes, findings, duration."""
    if result.status == "ignored":
        metrics.add_metric(name="PushesIgnored", unit=MetricUnit.Count, value=1)
        return
    if result.status == "warning":
        metrics.add_metric(name="VanishedUnscanned", unit=MetricUnit.Count, value=1)
        return
    if result.first_sight:
        metrics.add_metric(name="RepositoriesFirstSeen", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="PushesScanned", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="CommitsScanned", unit=MetricUnit.Count, value=result.commits)
    metrics.add_metric(name="BytesScanned", unit=MetricUnit.Bytes, value=result.bytes)
    metrics.add_metric(name="Findings", unit=MetricUnit.Count, value=result.findings)
    metrics.add_metric(name="FindingsAcceptedInRepository", unit=MetricUnit.Count, value=result.accepted or 0)
    metrics.add_metric(name="ScanDuration", unit=MetricUnit.Milliseconds, value=result.duration_ms)


def ignore_malformed(
    error: EventError, *, logger: Logger, metrics: Metrics, what: str = "event"
) -> dict[str, Any]:
    """Every function's answer to an event it cannot parse: count it, log why, return "ignored".

    Raising instead would make EventBridge retry an event that can never succeed.
    """
    metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
    logger.error(f"ignored a malformed {what}", extra={"error": str(error)})
    return {"status": "ignored", "reason": str(error)}


def function_account(context: Any) -> str | None:
    """The account a function runs in, from its ARN (``arn:aws:lambda:REGION:ACCOUNT:function:NAME``)."""
    parts = str(getattr(context, "invoked_function_arn", "") or "").split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def refuse_untrusted(
    error: EventError, *, function: str, publisher: Publisher, logger: Logger, metrics: Metrics
) -> dict[str, Any]:
    """A consumer's answer to an event that is not from this deployment's inspector: alert, never act.

    The alert names only the envelope's problem, never the event's text. If even the alert cannot be
    sent the invocation fails, so the event is retried and finally parked where an alarm sees it.
    """
    from leakguard.remediate.alerts import publish_alert, refusal

    metrics.add_metric(name="RefusedEvents", unit=MetricUnit.Count, value=1)
    logger.error(f"{function} refused an untrusted security event", extra={"error": str(error)})
    subject, body = refusal(function, repository=None, reference=None, incident_id=None, reasons=[str(error)])
    if not publish_alert(publisher, subject, body):
        raise error
    return {"status": "refused", "reason": str(error)}
