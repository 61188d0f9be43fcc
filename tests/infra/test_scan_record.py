"""The scan record's table: durable, encrypted, and only the inspector may touch it."""

from __future__ import annotations

import pytest
from stacks.scan_record import PARTITION_KEY, RECORD_ACTIONS, REMOVAL_ACTIONS, SORT_KEY

from leakguard.aws import scan_record

from .conftest import Synthesized
from .helpers import actions, as_list, resources, role_statements, statement_with

FUNCTIONS = ("inspector", "notify", "lock", "reset")


def _table(template: dict) -> tuple[str, dict]:
    (found,) = [
        (k, v)
        for k, v in resources(template, "AWS::DynamoDB::Table").items()
        if any(a["AttributeName"] == SORT_KEY for a in v["Properties"]["KeySchema"])
    ]
    return found


def test_keys_are_the_ones_the_client_reads():
    assert (PARTITION_KEY, SORT_KEY) == (scan_record.PARTITION_KEY, scan_record.SORT_KEY)


def test_table_is_encrypted_recoverable_and_retained(synthesized: Synthesized) -> None:
    _, table = _table(synthesized.templates["AllRepos"])
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "repository", "KeyType": "HASH"},
        {"AttributeName": "entry", "KeyType": "RANGE"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert "TimeToLiveSpecification" not in props  # the record must not expire


@pytest.mark.parametrize("stack", ["AllRepos", "Listed"])
def test_only_the_inspector_reads_the_record_and_reset_only_marks_removed_leaks(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    table_id, _ = _table(template)
    touching: dict[str, set[str]] = {}
    for name in FUNCTIONS:
        found = {
            action
            for s in role_statements(template, name)
            if any(table_id in str(r) for r in as_list(s["Resource"]))
            for action in as_list(s["Action"])
        }
        if found:
            touching[name] = found
    assert touching == {"inspector": set(RECORD_ACTIONS), "reset": set(REMOVAL_ACTIONS)}
    assert not {"dynamodb:Scan", "dynamodb:DeleteTable"} & actions(role_statements(template, "inspector"))
    if stack == "Listed":  # reset's one write is confined to the listed repositories' partitions too
        (statement,) = [
            s
            for s in role_statements(template, "reset")
            if any(table_id in str(r) for r in as_list(s["Resource"]))
        ]
        assert statement["Condition"] == {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["payments", "web-frontend"]}
        }


def test_a_listed_deployment_reaches_only_its_repositories_partitions(synthesized: Synthesized) -> None:
    statement = statement_with(
        role_statements(synthesized.templates["Listed"], "inspector"), "dynamodb:Query"
    )
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["payments", "web-frontend"]}
    }
    everything = statement_with(
        role_statements(synthesized.templates["AllRepos"], "inspector"), "dynamodb:Query"
    )
    assert "Condition" not in everything


def test_the_table_name_is_an_output_for_the_baseline_command(synthesized: Synthesized) -> None:
    table_id, _ = _table(synthesized.templates["AllRepos"])
    assert synthesized.templates["AllRepos"]["Outputs"]["ScanRecordTableName"]["Value"] == {"Ref": table_id}
