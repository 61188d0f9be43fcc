"""Replay parked events: what a dead-letter or on-failure queue holds goes back to its function.

Two kinds of message end up in leakguard's queues (``stacks/failures.py``):

* an EventBridge target's dead-letter queue holds the event itself; the message attributes
  ``TARGET_ARN``, ``ERROR_CODE`` and ``ERROR_MESSAGE`` say for which function and why it was not
  delivered;
* a function's on-failure queue holds Lambda's invocation record: ``requestPayload`` is the event,
  ``requestContext.functionArn`` the function, ``condition`` why it was given up (``RetriesExhausted``,
  ``EventAgeExceeded``), ``responsePayload`` the last error.

Either way the event is re-invoked asynchronously on the same function (as EventBridge did), and the
message is deleted only once Lambda accepted the invocation. The handlers are idempotent, so a replayed
event that had in fact succeeded somewhere does nothing twice; if it fails again it is parked again.
Nothing printed or returned contains the event body (it holds only redacted findings anyway).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from leakguard.errors import LeakguardError


class RedriveError(LeakguardError):
    """A parked message cannot be replayed (unknown shape, no target function)."""


@dataclass(frozen=True)
class ParkedEvent:
    """One parked message: which function it is for, the event, and why it was parked."""

    message_id: str
    receipt_handle: str
    function_arn: str
    event: dict[str, Any]
    kind: str  # "dead-letter" or "on-failure"
    reason: str

    def describe(self) -> str:
        """One line for a person: function, event kind and id, why it was parked."""
        name = self.function_arn.split(":function:", 1)[-1]
        what = f"{self.event.get('detail-type', '?')} {self.event.get('id', '?')}"
        return f"{name}: {what} ({self.kind}: {self.reason[:200]})"


def parse_parked(message: dict[str, Any]) -> ParkedEvent:
    """Read one SQS message of a dead-letter or on-failure queue; :class:`RedriveError` if neither."""
    try:
        body = json.loads(message["Body"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise RedriveError(f"message {message.get('MessageId')}: body is not JSON") from exc
    if not isinstance(body, dict):
        raise RedriveError(f"message {message.get('MessageId')}: body is not an object")
    common = {"message_id": message["MessageId"], "receipt_handle": message["ReceiptHandle"]}
    if "requestContext" in body and "requestPayload" in body:
        context = body["requestContext"]
        error = (body.get("responsePayload") or {}) if isinstance(body.get("responsePayload"), dict) else {}
        reason = (
            f"{context.get('condition', '?')} after {context.get('approximateInvokeCount', '?')} attempts"
        )
        if error.get("errorType"):
            reason += f"; {error['errorType']}: {error.get('errorMessage', '')}"
        arn = str(context.get("functionArn") or "")
        return ParkedEvent(
            **common, function_arn=_unqualified(arn), event=body["requestPayload"], kind="on-failure",
            reason=reason,
        )  # fmt: skip
    attributes = {k: v.get("StringValue", "") for k, v in (message.get("MessageAttributes") or {}).items()}
    arn = attributes.get("TARGET_ARN", "")
    if ":function:" not in arn:
        raise RedriveError(f"message {message['MessageId']}: no TARGET_ARN of a Lambda function")
    reason = f"{attributes.get('ERROR_CODE', '?')}: {attributes.get('ERROR_MESSAGE', '')}"
    return ParkedEvent(**common, function_arn=arn, event=body, kind="dead-letter", reason=reason)


def _unqualified(arn: str) -> str:
    """``...:function:name:$LATEST`` → ``...:function:name`` (replay goes to the current version)."""
    if ":function:" not in arn:
        raise RedriveError(f"not a Lambda function ARN: {arn!r}")
    head, name = arn.split(":function:", 1)
    return f"{head}:function:{name.split(':', 1)[0]}"


@dataclass
class Redriven:
    """What happened to one parked message."""

    parked: ParkedEvent
    replayed: bool
    error: str | None = None


class Redriver:
    """Moves parked events of one queue back to their functions (``sqs`` and ``lambda_`` are boto3)."""

    def __init__(self, sqs: Any, lambda_: Any) -> None:
        self.sqs = sqs
        self.lambda_ = lambda_

    def queue_url(self, queue: str) -> str:
        """A queue URL as given, or the URL of the queue named ``queue``."""
        if queue.startswith("https://") or queue.startswith("http://"):
            return queue
        return str(self.sqs.get_queue_url(QueueName=queue)["QueueUrl"])

    def messages(self, queue_url: str, *, hold_seconds: int) -> Iterator[dict[str, Any]]:
        """Every message of the queue once (hidden for ``hold_seconds`` while it is handled)."""
        seen: set[str] = set()
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                VisibilityTimeout=hold_seconds,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield message

    def redrive(self, queue: str, *, dry_run: bool = False, limit: int | None = None) -> list[Redriven]:
        """Replay up to ``limit`` parked events of ``queue``; with ``dry_run`` only list them."""
        url = self.queue_url(queue)
        done: list[Redriven] = []
        # A dry run leaves every message visible; a real run hides each one while replaying it.
        for message in self.messages(url, hold_seconds=0 if dry_run else 120):
            if limit is not None and len(done) >= limit:
                break
            try:
                parked = parse_parked(message)
            except RedriveError as exc:
                unknown = ParkedEvent(
                    message["MessageId"], message["ReceiptHandle"], "", {}, "unknown", str(exc)
                )
                done.append(Redriven(unknown, replayed=False, error=str(exc)))
                continue
            if dry_run:
                done.append(Redriven(parked, replayed=False))
                continue
            response = self.lambda_.invoke(
                FunctionName=parked.function_arn,
                InvocationType="Event",
                Payload=json.dumps(parked.event).encode(),
            )
            if response.get("StatusCode") == 202:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=parked.receipt_handle)
                done.append(Redriven(parked, replayed=True))
            else:
                done.append(
                    Redriven(parked, replayed=False, error=f"Lambda answered {response.get('StatusCode')}")
                )
        return done
