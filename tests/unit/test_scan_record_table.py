"""The scan record's DynamoDB client against moto's DynamoDB (in process)."""

import boto3
import pytest
from moto import mock_aws

from leakguard.aws.scan_record import RecordedTip, ScanRecordTable

A, B, C = "a" * 40, "b" * 40, "c" * 40


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="record",
            KeySchema=[
                {"AttributeName": "repository", "KeyType": "HASH"},
                {"AttributeName": "entry", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "repository", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ScanRecordTable("record", client)


def test_an_unknown_repository_is_not_recorded(table):
    record = table.load("app")
    assert not record.recorded and record.tips == () and record.baseline is None


def test_tips_are_kept_per_repository_and_pruned_ones_forgotten(table):
    table.put_tips("app", [RecordedTip(A, ref="refs/heads/main"), RecordedTip(B, source="first-sight")])
    table.put_tips("svc", [RecordedTip(C)])
    table.delete_tips("app", [A])
    record = table.load("app")
    assert record.recorded and [(t.commit, t.source) for t in record.tips] == [(B, "first-sight")]
    assert table.load("svc").tip_commits == [C]


def test_a_hundred_tips_take_several_batches_and_pages(table):
    commits = [f"{n:040x}" for n in range(130)]
    table.put_tips("app", [RecordedTip(c) for c in commits])
    assert sorted(table.load("app").tip_commits) == commits


def test_the_baseline_marker_is_written_once(table):
    assert table.mark_baseline("app", source="first-sight", tips=0) is True
    assert table.mark_baseline("app", source="first-sight", tips=3) is False
    record = table.load("app")
    assert record.recorded and record.baseline is not None and record.baseline["tips"] == "0"
    table.replace_baseline("app", source="cli", tips=2, by="arn:aws:iam::123456789012:user/admin")
    assert table.baseline("app")["source"] == "cli"


def test_tag_messages_are_looked_up_one_by_one_never_listed(table):
    table.put_tips("app", [RecordedTip(A, source="tag"), RecordedTip(B)])
    assert table.scanned_tags("app", [A, C]) == {A}
    assert table.load("app").tip_commits == [B]  # tags are not part of the exclusion set


def test_ids_are_validated_before_they_reach_dynamodb(table):
    with pytest.raises(Exception, match="invalid commit id"):
        table.put_tips("app", [RecordedTip("main")])
