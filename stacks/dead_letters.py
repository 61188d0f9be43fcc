"""Encrypted, TLS-only SQS dead-letter queues for EventBridge targets."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """A queue holding events EventBridge gave up delivering, kept 14 days (SQS's maximum) for replay.

    SQS-managed encryption rather than a customer key: EventBridge would otherwise need a grant on the
    key to write to it, and the events carry only redacted findings.
    """
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions-SQS3",
            reason="This queue is itself a dead-letter queue (of an EventBridge target); it needs none.",
        )
    )
    return queue
