"""The custom bus and the security-event rule that fans one event out to notify, lock and reset.

No function calls another: EventBridge delivers the same event to each target independently, retries
it, and parks it in that target's own dead-letter queue when it gives up, so a failing reset never
holds back the email and each failure can be replayed on its own.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .dead_letters import dead_letter_queue
from .names import SECURITY_BUS_NAME, SECURITY_EVENT_DETAIL_TYPE, SECURITY_EVENT_SOURCE

# A remediation that still fails after two hours of retries needs a human, not more retries.
MAX_EVENT_AGE = Duration.hours(2)
RETRY_ATTEMPTS = 8


def lambda_target(function: lambda_.IFunction, *, scope: Construct, dlq_id: str) -> targets.LambdaFunction:
    """A Lambda target with a bounded retry policy and its own encrypted dead-letter queue."""
    return targets.LambdaFunction(
        function,
        dead_letter_queue=dead_letter_queue(scope, dlq_id),
        retry_attempts=RETRY_ATTEMPTS,
        max_event_age=MAX_EVENT_AGE,
    )


class SecurityEventFanOut(Construct):
    """Bus ``leakguard-security-events`` and the rule matching the inspector's security events."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=SECURITY_BUS_NAME)
        self.rule = events.Rule(
            self,
            "SecurityEventRule",
            event_bus=self.bus,
            description="leakguard: a push introduced credentials; notify, lock and reset",
            event_pattern=events.EventPattern(
                source=[SECURITY_EVENT_SOURCE], detail_type=[SECURITY_EVENT_DETAIL_TYPE]
            ),
        )

    def only_published_by(self, publisher: iam.IRole) -> None:
        """Let nobody but ``publisher`` (the inspector's role) put events on the bus, and only leakguard's.

        IAM alone cannot say this: any principal of the account with ``events:PutEvents`` on ``*``
        could otherwise send ``leakguard.inspector`` events and drive reset, lock and the official
        email. Two explicit denies in the bus's own policy override every identity policy: one for
        every principal but the inspector's role, one for any other source (the inspector included).
        """
        for sid, condition in (
            ("OnlyTheInspectorPublishes", {"ArnNotEquals": {"aws:PrincipalArn": publisher.role_arn}}),
            ("OnlyLeakguardEvents", {"StringNotEquals": {"events:source": SECURITY_EVENT_SOURCE}}),
        ):
            self.bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["events:PutEvents"],
                    resources=[self.bus.event_bus_arn],
                    conditions=condition,
                )
            )

    def route_to(self, name: str, function: lambda_.IFunction) -> None:
        """Deliver every security event to ``function`` (one target, one DLQ per consumer)."""
        self.rule.add_target(lambda_target(function, scope=self, dlq_id=f"{name.title()}DeadLetters"))
