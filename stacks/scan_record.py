"""The scan record: which commits leakguard has scanned, per repository (see leakguard.aws.scan_record).

Only the inspector reads and writes it (and an admin's ``leakguard baseline`` with their own
credentials); the reset function may only mark the leaking commits it removed (``REMOVAL_ACTIONS``), as
the inspector does for a leak it finds no ref carrying any more.
Losing it would not lose data, but every push would then be a first sight: it is point-in-time
recoverable and retained when the stack is deleted.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

# leakguard.aws.scan_record's key names (an infra test keeps the two equal).
PARTITION_KEY = "repository"
SORT_KEY = "entry"
#: Exactly the calls leakguard.aws.scan_record makes.
RECORD_ACTIONS = (
    "dynamodb:Query",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:UpdateItem",  # mark_removed: a recorded leak no ref carries any more (removed by hand)
)
#: The one call reset makes: ``ScanRecordTable.mark_removed`` (an UpdateItem per removed leaking commit).
REMOVAL_ACTIONS = ("dynamodb:UpdateItem",)


class ScanRecordTable(Construct):
    """On-demand, encrypted, point-in-time recoverable; one partition per repository."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # AWS-owned KMS key (aws/dynamodb): encrypted at rest without a key grant for the admin's
            # baseline command; items hold commit ids, ref names and timestamps, never content.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
