"""The DynamoDB table Powertools' idempotency utility uses, so a redelivered event acts only once."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

# Powertools' DynamoDBPersistenceLayer defaults: key attribute "id", expiry attribute "expiration".
KEY_ATTRIBUTE = "id"
TTL_ATTRIBUTE = "expiration"
ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class IdempotencyTable(Construct):
    """On-demand, encrypted, point-in-time recoverable; records expire through TTL."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            # AWS-owned KMS key (aws/dynamodb): encrypted at rest without giving every role a key grant;
            # the records hold incident ids and hashes, never a secret.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
