"""The context is validated in one place; a wrong value fails synth with the key's name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from stacks import ConfigError, LeakguardConfig, Remediation
from stacks.config import CONTEXT_KEYS


def test_defaults_watch_everything_and_remediate_nothing() -> None:
    config = LeakguardConfig.from_mapping({})
    assert config.repositories == "*"
    assert config.watched_repositories_json() == '["*"]'
    assert config.remediations == {"*": Remediation()}
    assert (config.lock_tag_key, config.lock_tag_value, config.architecture) == (
        "RepoState",
        "locked",
        "arm64",
    )
    assert config.quarantine_retention_days == 90


def test_cdk_json_defaults_are_valid_and_equal_the_built_in_ones() -> None:
    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    assert LeakguardConfig.from_context(context.get) == LeakguardConfig.from_mapping({})


def test_a_full_configuration() -> None:
    config = LeakguardConfig.from_mapping(
        {
            "repositories": ["payments", "web"],
            "notificationEmails": ["sec@example.com"],
            "remediations": {"payments": {"lock": True, "reset": True}},
            "lockTagKey": "Quarantine",
            "lockTagValue": "yes",
            "architecture": "x86_64",
            "adminRoleArns": ["arn:aws:iam::123456789012:role/Admin"],
        }
    )
    assert config.repositories == ("payments", "web")
    assert config.remediations["payments"] == Remediation(lock=True, reset=True)
    assert config.remediations["*"] == Remediation()
    assert json.loads(config.remediations_json()) == {
        "*": {"lock": False, "reset": False},
        "payments": {"lock": True, "reset": True},
    }


def test_command_line_strings_are_decoded() -> None:
    """``cdk deploy -c repositories='["a","b"]' -c quarantineRetentionDays=30`` passes strings."""
    config = LeakguardConfig.from_mapping(
        {
            "repositories": '["a", "b"]',
            "notificationEmails": "one@example.com",
            "quarantineRetentionDays": "30",
        }
    )
    assert config.repositories == ("a", "b")
    assert config.notification_emails == ("one@example.com",)
    assert config.quarantine_retention_days == 30


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"repositories": []}, "repositories"),
        ({"repositories": ["bad name!"]}, "repositories"),
        ({"repositories": ["a", "a"]}, "repositories"),
        ({"notificationEmails": ["not-an-email"]}, "notificationEmails"),
        ({"remediations": {"*": {"lock": "yes"}}}, "remediations"),
        ({"remediations": {"*": {"delete": True}}}, "remediations"),
        ({"repositories": ["a"], "remediations": {"b": {"lock": True}}}, "remediations"),
        ({"architecture": "arm"}, "architecture"),
        ({"adminRoleArns": ["Admin"]}, "adminRoleArns"),
        ({"quarantineRetentionDays": 0}, "quarantineRetentionDays"),
        ({"logRetentionDays": 100}, "logRetentionDays"),
        ({"lockTagKey": ""}, "lockTagKey"),
        ({"gitRemoteTemplate": "codecommit::eu-west-1://fixed"}, "gitRemoteTemplate"),
        ({"gitLayerArn": "layer"}, "gitLayerArn"),
        ({"rulesRefreshSeconds": 5}, "rulesRefreshSeconds"),
        ({"rulesRefreshSeconds": "soon"}, "rulesRefreshSeconds"),
    ],
)
def test_invalid_values_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        LeakguardConfig.from_mapping(raw)


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/SecurityAdmin/alice@example.com",
            "use the role's ARN 'arn:aws:iam::123456789012:role/SecurityAdmin'",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice",
            "'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123abcd'",
        ),
        ("arn:aws:iam::123456789012:role/*", "matches every role"),
        ("arn:aws:iam::123456789012:role/*/*", "matches every role"),
        ("arn:aws:iam::123456789012:role/?*", "matches every role"),
        ("arn:aws:iam::123456789012:user/*", "matches every user"),
        ("arn:aws:iam::123456789012:*", "must name a role"),
        ("arn:aws:iam::123456789012:r*", "must name a role"),
        ("arn:aws:iam::*:role/Admin", "expected an IAM role or user ARN"),
        ("*", "expected an IAM role or user ARN"),
    ],
)
def test_admin_role_arns_that_would_exempt_no_one_or_everyone_are_refused(arn: str, says: str) -> None:
    with pytest.raises(ConfigError, match="adminRoleArns") as error:
        LeakguardConfig.from_mapping({"adminRoleArns": [arn]})
    assert says in str(error.value)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/SecurityAdmin",
        "arn:aws:iam::123456789012:role/security-*",
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admin_*",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws-us-gov:iam::123456789012:role/Admin",
        "arn:aws:iam::123456789012:root",
    ],
)
def test_admin_role_arns_naming_admins_are_accepted(arn: str) -> None:
    assert LeakguardConfig.from_mapping({"adminRoleArns": [arn]}).admin_role_arns == (arn,)


def test_every_context_key_the_deploy_guide_documents_reaches_the_config() -> None:
    """``cdk deploy -c KEY=...`` goes through ``from_context``: a key it does not read is ignored silently
    (``repositoryKmsKeyArns`` was, so a repository under a customer key could not be inspected)."""
    guide = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)`(?: / `(\w+)`)? \|", guide, re.M))
    keys = {key for pair in documented for key in pair if key} - {"stackName"}  # app.py reads stackName
    assert "repositoryKmsKeyArns" in keys and "acceptancePolicy" in keys
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    context = {"repositoryKmsKeyArns": json.dumps([key_arn]), "acceptancePolicy": "findings"}
    config = LeakguardConfig.from_context(context.get)
    assert config.repository_kms_key_arns == (key_arn,)
    assert config.acceptance_policy == {"*": "findings"}
    assert keys <= set(CONTEXT_KEYS), keys - set(CONTEXT_KEYS)


def test_rules_refresh_seconds_reaches_the_config_through_cdk_context() -> None:
    """``cdk deploy -c rulesRefreshSeconds=60`` arrives as a string and is read."""
    assert LeakguardConfig.from_context({"rulesRefreshSeconds": "60"}.get).rules_refresh_seconds == 60
    assert LeakguardConfig.from_mapping({}).rules_refresh_seconds == 300
