"""Inspector Lambda: a CodeCommit push → scan of the commits it introduced → at most one security event."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from leakguard.aws.idempotency import persistence_layer
from leakguard.errors import EventError
from leakguard.events.codecommit import CodeCommitEvent, parse_codecommit_event
from leakguard.inspection.deadline import Deadline
from leakguard.runtime import METRICS_NAMESPACE, build_inspector, ignore_malformed, record_inspection
from leakguard.settings import InspectorSettings

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"leakguard"})
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
SETTINGS = InspectorSettings.from_env()
INSPECTOR = build_inspector(SETTINGS)
# A redelivery of one event (EventBridge and Lambda retries keep its id) is not scanned twice. A new
# event for the same ref change is a new push: a reset branch pushed back to the commit it was reset
# from repeats the change exactly, and must be scanned for the leak it brings back.
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath=(
        "[id, detail.repositoryName, detail.referenceFullName, detail.oldCommitId, detail.commitId]"
    )
)


@idempotent_function(
    data_keyword_argument="push",
    config=IDEMPOTENCY,
    persistence_store=persistence_layer(SETTINGS.idempotency_table),
)
def inspect(*, push: CodeCommitEvent, deadline: Deadline) -> dict[str, Any]:
    """Scan one push (once per push, thanks to the idempotency record)."""
    result = INSPECTOR.inspect(push, deadline=deadline)
    logger.info(f"push {result.status}: {result.reason}", extra=result.summary())
    record_inspection(metrics, result)
    return result.summary()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point (``handlers.inspector.handler``)."""
    IDEMPOTENCY.register_lambda_context(context)
    try:
        push = parse_codecommit_event(event)
    except EventError as exc:
        return ignore_malformed(exc, logger=logger, metrics=metrics)
    return inspect(push=push, deadline=Deadline(context.get_remaining_time_in_millis))
