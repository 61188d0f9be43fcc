"""Notify Lambda: one SNS email per incident, however many times EventBridge delivers it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from leakguard.aws.idempotency import incident_config, persistence_layer
from leakguard.aws.storage import ObjectStore
from leakguard.errors import EventError
from leakguard.events.bypass import BypassNotice, is_bypass_notice, parse_bypass_notice
from leakguard.events.security import SecurityEvent
from leakguard.remediate.incident import UntrustedEventError, check_sender, load_incident
from leakguard.runtime import (
    METRICS_NAMESPACE,
    build_notifier,
    function_account,
    ignore_malformed,
    refuse_untrusted,
)
from leakguard.settings import NotifySettings

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"leakguard"})
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
SETTINGS = NotifySettings.from_env()
NOTIFIER = build_notifier(SETTINGS)
STORE = ObjectStore()
IDEMPOTENCY = incident_config()
NOTICE_IDEMPOTENCY = incident_config("noticeId")


@idempotent_function(
    data_keyword_argument="incident",
    config=IDEMPOTENCY,
    persistence_store=persistence_layer(SETTINGS.idempotency_table),
)
def notify(*, incident: SecurityEvent) -> dict[str, Any]:
    """Email the admins once per incident."""
    result = NOTIFIER.notify(incident)
    metrics.add_metric(name="Notifications", unit=MetricUnit.Count, value=1)
    logger.info("incident notified", extra=result)
    return result


@idempotent_function(
    data_keyword_argument="notice",
    config=NOTICE_IDEMPOTENCY,
    persistence_store=persistence_layer(SETTINGS.idempotency_table),
)
def notify_bypass(*, notice: BypassNotice) -> dict[str, Any]:
    """Email the admins the audit notice of honoured bypasses, once per push."""
    result = NOTIFIER.notify_bypass(notice)
    metrics.add_metric(name="BypassNotices", unit=MetricUnit.Count, value=1)
    logger.info("bypass notice sent", extra=result)
    return result


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point (``handlers.notify.handler``)."""
    IDEMPOTENCY.register_lambda_context(context)
    NOTICE_IDEMPOTENCY.register_lambda_context(context)
    if is_bypass_notice(event):
        try:
            check_sender(event, account=function_account(context))
            notice = parse_bypass_notice(event)
        except UntrustedEventError as exc:
            return refuse_untrusted(
                exc, function="notify", publisher=NOTIFIER.publisher, logger=logger, metrics=metrics
            )
        except EventError as exc:
            return ignore_malformed(exc, logger=logger, metrics=metrics, what="bypass notice")
        return notify_bypass(notice=notice)
    try:
        incident = load_incident(event, STORE, account=function_account(context))
    except UntrustedEventError as exc:
        return refuse_untrusted(
            exc, function="notify", publisher=NOTIFIER.publisher, logger=logger, metrics=metrics
        )
    except EventError as exc:
        return ignore_malformed(exc, logger=logger, metrics=metrics, what="security event")
    return notify(incident=incident)
