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
    from leakguard.events.security import SecurityEvent
    from leakguard.inspection.inspector import InspectionResult, Inspector
    from leakguard.remediate.lock import Locker
    from leakguard.remediate.notify import Notifier
    from leakguard.remediate.reset import Resetter
    from leakguard.rules.active import ActiveRules, Refusal, RefusalHandler

METRICS_NAMESPACE = "leakguard"


def build_rules(
    settings: InspectorSettings | LockSettings | ResetSettings,
    *,
    function: str,
    publisher: Publisher,
    s3: Any | None = None,
) -> ActiveRules:
    """The function's active rules: the published rules object once it validates, else the last good.

    One provider for the inspector, lock and reset, so an incident found by a published rule is
    confirmed under that rule; each refused version adds the ``RulesRefused`` metric (the stack alarms
    on it) and, the first time in this sandbox, emails the admins.
    """
    from leakguard.aws.rules_object import RulesObject
    from leakguard.rules import default_rules_path, load_rules
    from leakguard.rules.active import ActiveRules

    source = None
    if settings.rules_bucket and settings.rules_key:
        source = RulesObject(settings.rules_bucket, settings.rules_key, s3)
    return ActiveRules(
        source=source,
        fallback=lambda: load_rules(settings.rules_path),
        fallback_label=f"the bundled rules ({settings.rules_path or default_rules_path().name})",
        on_refused=_alert_refusals(function, publisher),
        refresh_seconds=settings.rules_refresh_seconds,
    )


def _alert_refusals(function: str, publisher: Publisher) -> RefusalHandler:
    """A refused rules version: a metric every time, an email the first time (in this sandbox)."""
    from leakguard.remediate.alerts import publish_alert
    from leakguard.rules.alerts import METRIC, refused_alert

    def refused(refusal: Refusal, first: bool) -> None:
        # Powertools metrics share one store: the handler's log_metrics flushes this one too.
        Metrics(namespace=METRICS_NAMESPACE).add_metric(name=METRIC, unit=MetricUnit.Count, value=1)
        if first:
            publish_alert(publisher, *refused_alert(function, refusal))

    return refused


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
    alerts = Publisher(settings.topic_arn, sns)
    rules = build_rules(settings, function="inspector", publisher=alerts, s3=s3)
    rules.detector()  # cold start: fetch, validate and compile the rules now, not in the first scan
    return Inspector(
        settings,
        rules.detector,
        clones=CloneCache(
            Path(settings.clone_root) / "inspector",
            settings.remote_for,
            budget_bytes=settings.clone_budget_bytes,
            partial=settings.partial_clone,
        ),
        bus=SecurityEventBus(settings.event_bus_name, events),
        store=ObjectStore(s3),
        history=ScanHistory(ScanRecordTable(settings.scan_record_table, dynamodb)),
        vanished=VanishedCommits(CodeCommitObjects(codecommit)),
        alerts=alerts,
    )


def build_notifier(settings: NotifySettings, *, sns: Any | None = None) -> Notifier:
    """The notifier publishing to the admins' topic."""
    from leakguard.remediate.notify import Notifier

    return Notifier(Publisher(settings.topic_arn, sns))


def build_locker(
    settings: LockSettings, *, codecommit: Any | None = None, sns: Any | None = None, s3: Any | None = None
) -> Locker:
    """The locker with the configured tag."""
    from leakguard.aws.codecommit import RepositoryTags
    from leakguard.remediate.lock import Locker, LockTag

    tags = RepositoryTags(codecommit)
    publisher = Publisher(settings.topic_arn, sns)
    return Locker(
        LockTag(settings.lock_tag_key, settings.lock_tag_value),
        tags,
        publisher,
        enabled=lambda repository: settings.remediations_for(repository).lock,
        verify=_lazy_incident_check(settings, tags.client, publisher, s3),
    )


def _lazy_incident_check(
    settings: LockSettings, codecommit: Any, publisher: Publisher, s3: Any | None
) -> Callable[[SecurityEvent], None]:
    """Lock's incident check, built at its first use: the engine and rules stay out of lock's cold start.

    It confirms under the active rules, checked again at every incident (a conditional GET).
    """

    @cache
    def check() -> Callable[[SecurityEvent], None]:
        from leakguard.aws.commits import CodeCommitObjects
        from leakguard.remediate.lock_verify import ApiIncidentCheck

        rules = build_rules(settings, function="lock", publisher=publisher, s3=s3)
        return ApiIncidentCheck(CodeCommitObjects(codecommit), lambda: rules.detector(max_age=0))

    return lambda incident: check()(incident)


def build_resetter(
    settings: ResetSettings, *, s3: Any | None = None, sns: Any | None = None, dynamodb: Any | None = None
) -> Resetter:
    """The resetter with its own clone cache, the quarantine bucket and the active rules.

    Reset checks the rules object again at every incident (a conditional GET), so a leak the inspector
    found with a just-published rule is confirmed under that rule rather than refused.
    """
    from leakguard.aws.scan_record import ScanRecordTable
    from leakguard.inspection.clone import CloneCache
    from leakguard.remediate.reset import Resetter

    publisher = Publisher(settings.topic_arn, sns)
    rules = build_rules(settings, function="reset", publisher=publisher, s3=s3)
    rules.detector()  # cold start, as the inspector
    return Resetter(
        clones=CloneCache(
            Path(settings.clone_root) / "reset",
            settings.remote_for,
            budget_bytes=settings.clone_budget_bytes,
        ),
        store=ObjectStore(s3),
        publisher=publisher,
        quarantine_bucket=settings.quarantine_bucket,
        detector=lambda: rules.detector(max_age=0),
        scratch=Path(settings.clone_root) / "reset-scratch",
        enabled=lambda repository: settings.remediations_for(repository).reset,
        record=ScanRecordTable(settings.scan_record_table, dynamodb),
    )


def record_inspection(metrics: Metrics, result: InspectionResult) -> None:
    """The inspector's metrics: pushes scanned, commits, bytes, findings, duration."""
    from leakguard.inspection.clone import CLONE_OVER_BUDGET_METRIC

    if result.status == "ignored":
        metrics.add_metric(name="PushesIgnored", unit=MetricUnit.Count, value=1)
        return
    if result.status == "too_large":
        metrics.add_metric(name="PushesTooLargeToScan", unit=MetricUnit.Count, value=1)
        return
    if result.status == "warning":
        metrics.add_metric(name="VanishedUnscanned", unit=MetricUnit.Count, value=1)
        return
    if result.clones_evicted:
        metrics.add_metric(name="ClonesEvicted", unit=MetricUnit.Count, value=result.clones_evicted)
    if result.clone_over_budget:
        metrics.add_metric(name=CLONE_OVER_BUDGET_METRIC, unit=MetricUnit.Count, value=1)
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
