"""Reset Lambda: quarantine the leaking commits, then move the ref back with a lease (once per incident)."""

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
from leakguard.events.security import SecurityEvent
from leakguard.remediate.alerts import RefusedOutcome
from leakguard.remediate.incident import UntrustedEventError, load_incident
from leakguard.remediate.reset import ResetError
from leakguard.runtime import (
    METRICS_NAMESPACE,
    build_resetter,
    function_account,
    ignore_malformed,
    refuse_untrusted,
)
from leakguard.settings import ResetSettings

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"leakguard"})
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
SETTINGS = ResetSettings.from_env()
RESETTER = build_resetter(SETTINGS)
STORE = ObjectStore()
IDEMPOTENCY = incident_config()


@idempotent_function(
    data_keyword_argument="incident",
    config=IDEMPOTENCY,
    persistence_store=persistence_layer(SETTINGS.idempotency_table),
)
def reset(*, incident: SecurityEvent) -> dict[str, Any]:
    """Quarantine and reset once per incident (a failure raises: Lambda retries, then parks the event)."""
    try:
        result = RESETTER.reset(incident).to_dict()
    except ResetError:
        metrics.add_metric(name="ResetFailures", unit=MetricUnit.Count, value=1)
        raise  # after the outcome email: Lambda retries, then parks the event
    if result["status"] == "refused":
        raise RefusedOutcome(result)  # alerted already; never recorded as this incident's outcome
    metrics.add_metric(
        name="Resets", unit=MetricUnit.Count, value=int(result["status"] in ("reset", "deleted"))
    )
    logger.info(f"reset {result['status']}: {result['detail']}", extra=result)
    return result


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point (``handlers.reset.handler``)."""
    IDEMPOTENCY.register_lambda_context(context)
    try:
        incident = load_incident(event, STORE, account=function_account(context))
    except UntrustedEventError as exc:
        return refuse_untrusted(
            exc, function="reset", publisher=RESETTER.publisher, logger=logger, metrics=metrics
        )
    except EventError as exc:
        return ignore_malformed(exc, logger=logger, metrics=metrics, what="security event")
    try:
        return reset(incident=incident)
    except RefusedOutcome as refused:
        metrics.add_metric(name="RefusedEvents", unit=MetricUnit.Count, value=1)
        return refused.result
