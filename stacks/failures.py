"""No failure is silent: every function's failed events are parked, every parking lot and error alarms.

EventBridge invokes Lambda asynchronously. A target's dead-letter queue only receives the events
EventBridge could not *deliver*; an invocation that raises is Lambda's business: it retries (here at
most :data:`ASYNC_RETRIES` times, for at most :data:`MAX_ASYNC_EVENT_AGE`) and then hands the event to
the function's on-failure destination, an encrypted SQS queue of its own. Nothing is discarded.

Then every queue that can hold a parked event (the targets' dead-letter queues, the on-failure queues:
found in the whole stack, so a queue added later is covered too) and every leakguard function's
``Errors`` metric has an alarm that emails the admins through the alert topic, named
"leakguard is failing: ...". ``leakguard redrive`` replays what the queues hold once the cause is fixed.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

#: Lambda's own retries of a failed asynchronous invocation (its maximum is 2), and how long an event
#: may wait for one: a remediation still failing after this needs a person, not more retries.
ASYNC_RETRIES = 2
MAX_ASYNC_EVENT_AGE = Duration.hours(2)
ALARM_PREFIX = "leakguard is failing"


@jsii.implements(lambda_.IDestination)
class _QueueDestination:
    """An SQS on-failure destination that grants nothing itself: the function's role gets exactly
    ``sqs:SendMessage`` on its own queue (CDK's ``SqsDestination`` adds two read actions too)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(self, scope: Construct, fn: lambda_.IFunction, options: Any = None) -> lambda_.DestinationConfig:
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)


def park_failures(scope: Construct, function: lambda_.Function, *, name: str) -> sqs.Queue:
    """Give ``function`` an encrypted on-failure queue and bounded asynchronous retries; return it.

    The caller grants the function's role ``sqs:SendMessage`` on the queue.
    """
    queue = sqs.Queue(
        scope,
        "FailedEvents",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),  # SQS's maximum: two weeks to notice, fix and redrive
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions-SQS3",
            reason=f"This queue is the {name} function's on-failure destination, itself a dead-letter "
            "queue; nothing consumes it but 'leakguard redrive'.",
        )
    )
    function.configure_async_invoke(
        on_failure=_QueueDestination(queue),  # type: ignore[arg-type]  # a jsii interface
        retry_attempts=ASYNC_RETRIES,
        max_event_age=MAX_ASYNC_EVENT_AGE,
    )
    return queue


class FailureAlarms(Construct):
    """An alarm per parked-event queue and per function's errors, all sent to the alert topic.

    Build it last in the stack: it alarms on every SQS queue and every leakguard function it finds.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, topic: sns.ITopic, topic_key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        from .function import LeakguardFunction  # the functions this stack owns, not CDK's helpers

        stack = Stack.of(self)
        action = cloudwatch_actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        for construct in stack.node.find_all():
            if isinstance(construct, sqs.Queue):
                self._alarm(
                    f"Parked{len(self.alarms)}",
                    construct.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(5), statistic="Maximum"
                    ),
                    what=f"events parked in {construct.node.path}",
                    why="an event could not be delivered or processed after every retry; it waits in "
                    "this queue (14 days): fix the cause, then replay it with leakguard redrive",
                    action=action,
                )
            elif isinstance(construct, LeakguardFunction):
                self._alarm(
                    f"Errors{len(self.alarms)}",
                    construct.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                    what=f"the {construct.name} function raised",
                    why="an invocation failed; Lambda retries it and parks the event if it keeps failing. "
                    f"See the log group {construct.log_group_name}",
                    action=action,
                )
        # CloudWatch publishes to the KMS-encrypted topic as a service: it needs the key and the topic.
        topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        what: str,
        why: str,
        action: cloudwatch.IAlarmAction,
    ) -> None:
        description = f"{ALARM_PREFIX}: {what}. {why}."
        self.alarms.append(
            admin_alarm(self, construct_id, what=what, description=description, metric=metric, action=action)
        )


def admin_alarm(
    scope: Construct,
    construct_id: str,
    *,
    what: str,
    description: str,
    metric: cloudwatch.IMetric,
    action: cloudwatch.IAlarmAction,
) -> cloudwatch.Alarm:
    """An alarm "leakguard is failing: <stack> <what>" that acts (emails the admins) at the first
    period of ``metric`` at 1 or more; no data is not an alarm."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=f"{ALARM_PREFIX}: {Stack.of(scope).stack_name} {what}"[:255],
        alarm_description=description,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(action)
    return alarm


def service_metric(metric_name: str, function_name: str) -> cloudwatch.Metric:
    """A leakguard function's own metric (``leakguard.runtime``), summed per 5 minutes: Powertools
    publishes it under the ``service`` dimension ``leakguard-<function>``."""
    from .function import POWERTOOLS_NAMESPACE

    return cloudwatch.Metric(
        namespace=POWERTOOLS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": f"leakguard-{function_name}"},
        statistic="Sum",
        period=Duration.minutes(5),
    )
