"""``leakguard redrive``: parked events go back to their function, with moto's SQS and a checked Lambda."""

from __future__ import annotations

import argparse
import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from leakguard.aws.redrive import Redriver, parse_parked
from leakguard.commands import redrive

REGION = "eu-west-1"
FUNCTION = f"arn:aws:lambda:{REGION}:123456789012:function:Leakguard-RemediationReset"
EVENT = {
    "version": "0",
    "id": "0f6c2b0e-1111-2222-3333-444455556666",
    "detail-type": "CodeCommit Security Event",
    "source": "leakguard.inspector",
    "detail": {"incidentId": "f8af0a8d01ee25f19b228476790b4abd", "findings": [{"redacted": "AKIA********"}]},
}


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="reset-failed-events")["QueueUrl"]


def _on_failure_record(event):
    """What Lambda writes to an on-failure destination after the last retry."""
    return {
        "version": "1.0",
        "timestamp": "2026-11-22T10:00:00.000Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": f"{FUNCTION}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "git push failed: remote rejected", "errorType": "ResetError"},
    }


def _lambda(expected_events):
    client = boto3.client("lambda", region_name=REGION)
    stubber = Stubber(client)  # validates every call against Lambda's API model
    for event in expected_events:
        stubber.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": FUNCTION, "InvocationType": "Event", "Payload": json.dumps(event).encode()},
        )
    stubber.activate()
    return client, stubber


def test_on_failure_records_and_dead_letters_are_replayed_to_their_function_then_deleted(aws):
    sqs, url = aws
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(_on_failure_record(EVENT)))
    second = {**EVENT, "id": "second"}
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(second),
        MessageAttributes={
            "TARGET_ARN": {"DataType": "String", "StringValue": FUNCTION},
            "RULE_ARN": {"DataType": "String", "StringValue": "arn:aws:events:eu-west-1:123456789012:rule/x"},
            "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": "Lambda throttled"},
        },
    )
    client, stubber = _lambda([EVENT, second])
    results = Redriver(sqs, client).redrive("reset-failed-events")
    stubber.assert_no_pending_responses()
    assert [(r.parked.kind, r.replayed, r.error) for r in results] == [
        ("on-failure", True, None), ("dead-letter", True, None)
    ]  # fmt: skip
    assert "ResetError: git push failed" in results[0].parked.reason
    assert "SDK_CLIENT_ERROR" in results[1].parked.reason
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"  # fmt: skip


def test_a_dry_run_lists_and_keeps_everything(aws, capsys):
    sqs, url = aws
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(_on_failure_record(EVENT)))
    client, _ = _lambda([])  # any invoke would fail the stubber

    class Session:
        def client(self, name):
            return {"sqs": sqs, "lambda": client}[name]

    args = argparse.Namespace(queue=url, dry_run=True, max=None, region=None)
    assert redrive.run(args, Session()) == 0
    out = capsys.readouterr().out
    assert "Leakguard-RemediationReset: CodeCommit Security Event 0f6c2b0e" in out and "1 listed" in out
    assert "AKIA" not in out  # the event body is never printed
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])) == 1


def test_a_message_that_is_neither_kind_is_kept_and_reported(aws, capsys):
    sqs, url = aws
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"hello": "world"}))
    client, _ = _lambda([])

    class Session:
        def client(self, name):
            return {"sqs": sqs, "lambda": client}[name]

    assert redrive.run(argparse.Namespace(queue=url, dry_run=False, max=None, region=None), Session()) == 1
    assert "no TARGET_ARN" in capsys.readouterr().out


def test_parse_refuses_what_it_cannot_replay():
    from leakguard.aws.redrive import RedriveError

    with pytest.raises(RedriveError, match="not JSON"):
        parse_parked({"MessageId": "m", "ReceiptHandle": "r", "Body": "{"})
