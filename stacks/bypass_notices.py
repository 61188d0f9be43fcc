"""The route of bypass notices: from the security bus to the notify function only.

A push whose every finding the repository itself accepted gets a ``CodeCommit Bypass Notice`` instead
of a security event. Its own rule and detail-type keep it away from lock and reset by construction.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .fanout import lambda_target
from .names import BYPASS_NOTICE_DETAIL_TYPE, SECURITY_EVENT_SOURCE


class BypassNotices(Construct):
    """Rule on the security bus delivering bypass notices to ``notify`` (retries, its own DLQ)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bus: events.IEventBus, notify: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            event_bus=bus,
            description="leakguard: findings accepted in the repository; audit notice to the admins",
            event_pattern=events.EventPattern(
                source=[SECURITY_EVENT_SOURCE], detail_type=[BYPASS_NOTICE_DETAIL_TYPE]
            ),
        )
        self.rule.add_target(lambda_target(notify, scope=self, dlq_id="NotifyBypassDeadLetters"))
