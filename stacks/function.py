"""One Lambda function with everything that must be true of every leakguard function.

Each function gets its own role (no managed policies, nothing shared), its own log group with a
retention and a name the docs can give (``/aws/lambda/<stack>-<function>``), X-Ray tracing, ``HOME=/tmp``
(git needs a writable home), the Powertools settings, and an encrypted on-failure queue with bounded
asynchronous retries (:mod:`stacks.failures`: no failed event is discarded); the caller adds exactly
the permissions the function's job needs through :meth:`allow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Size, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .config import Architecture
from .failures import park_failures
from .names import HANDLERS
from .packaging import RUNTIME, lambda_architecture

POWERTOOLS_NAMESPACE = "leakguard"  # the namespace leakguard.runtime publishes metrics under
_RETENTION = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Sizing:
    """Memory, time and /tmp of a function: the git-heavy ones (inspector, reset) need far more."""

    memory_mb: int = 256
    timeout_minutes: int = 1
    ephemeral_mb: int = 512


SMALL = Sizing()
# Clones of large repositories live in /tmp across warm invocations; pushes of thousands of commits
# take minutes to scan. 15 minutes is Lambda's ceiling: the inspector stops a scan that would not
# finish in time and warns the admins (leakguard.inspection.deadline); splitting such a push into
# commit ranges fanned out to more invocations is not built yet.
GIT_HEAVY = Sizing(memory_mb=2048, timeout_minutes=15, ephemeral_mb=4096)


class LeakguardFunction(Construct):
    """A Python 3.14 function running ``handlers.<name>.handler`` from the shared code asset."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str,
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
        architecture: Architecture,
        environment: Mapping[str, str],
        sizing: Sizing = SMALL,
        log_retention_days: int = 365,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        #: Explicit, so the docs and an admin can name it: ``/aws/lambda/Leakguard-inspector``.
        self.log_group_name = f"/aws/lambda/{Stack.of(self).stack_name}-{name}"
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"leakguard {name}: only what the {name} function needs",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=self.log_group_name,
            retention=getattr(logs.RetentionDays, _RETENTION[log_retention_days]),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=lambda_architecture(architecture),
            handler=HANDLERS[name],
            code=code,
            layers=list(layers),
            role=self.role,
            log_group=self.log_group,
            memory_size=sizing.memory_mb,
            timeout=Duration.minutes(sizing.timeout_minutes),
            ephemeral_storage_size=Size.mebibytes(sizing.ephemeral_mb),
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "HOME": "/tmp",  # noqa: S108 - Lambda's only writable directory; git needs a home
                "POWERTOOLS_SERVICE_NAME": f"leakguard-{name}",
                "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **environment,
            },
        )
        self.failed_events = park_failures(self, self.function, name=name)
        self.allow("ParkFailedEvents", actions=["sqs:SendMessage"], resources=[self.failed_events.queue_arn])
        # Explicit role, so no AWSLambdaBasicExecutionRole: writing to its own log group is all it gets.
        self.allow(
            "Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        )
        # Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords on "*" to the default policy.
        # Metrics need no IAM at all: Powertools writes them as embedded metric format log lines.
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "
                "this is the only statement on '*' and CDK adds it for Tracing.ACTIVE.",
            )
        )

    def deny(self, sid: str, *, actions: Sequence[str], resources: Sequence[str]) -> None:
        """An explicit deny: carves resources out of a wider allow (a repository that opted out)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid, effect=iam.Effect.DENY, actions=list(actions), resources=list(resources)
            )
        )

    def allow(
        self,
        sid: str,
        *,
        actions: Sequence[str],
        resources: Sequence[str],
        conditions: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Grant exactly ``actions`` on ``resources``: no grant_* helper widens them behind our back."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid, actions=list(actions), resources=list(resources), conditions=dict(conditions or {})
            )
        )
