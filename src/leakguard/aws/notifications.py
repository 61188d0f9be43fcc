"""SNS publishing, with the subject rules SNS enforces applied here rather than failing at send time."""

from __future__ import annotations

import re
from typing import Any

import boto3

#: SNS subjects: at most 100 printable ASCII characters, no line breaks.
SUBJECT_LIMIT = 100
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]+")


def sns_subject(text: str) -> str:
    """Make ``text`` an acceptable SNS subject: printable ASCII, one line, at most 100 characters."""
    subject = _NOT_PRINTABLE_ASCII.sub(" ", text).strip()
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return subject


class Publisher:
    """Publishes plain-text messages to an SNS topic."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.client = client if client is not None else boto3.client("sns")

    def publish(self, subject: str, message: str) -> str:
        """Publish; return the message id."""
        response = self.client.publish(TopicArn=self.topic_arn, Subject=sns_subject(subject), Message=message)
        return str(response["MessageId"])
