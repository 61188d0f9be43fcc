"""The skipped-content notice is configured by CDK context and reaches the inspector's environment."""

from __future__ import annotations

import pytest
from stacks.config import ConfigError, LeakguardConfig

from leakguard.settings import InspectorSettings


def test_the_notice_level_is_validated_and_defaults_to_unreadable() -> None:
    assert LeakguardConfig.from_mapping({}).skipped_content_notice == "unreadable"
    assert LeakguardConfig.from_mapping({"skippedContentNotice": "off"}).skipped_content_notice == "off"
    with pytest.raises(ConfigError, match="skippedContentNotice"):
        LeakguardConfig.from_mapping({"skippedContentNotice": "sometimes"})


def test_the_inspector_reads_the_level_it_is_given() -> None:
    env = {
        "EVENT_BUS_NAME": "b",
        "REPORT_BUCKET": "r",
        "IDEMPOTENCY_TABLE": "t",
        "SCAN_RECORD_TABLE": "s",
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:admins",
        "WATCHED_REPOSITORIES": '["*"]',
        "REMEDIATIONS": "{}",
        "FINGERPRINT_KEY_SECRET": "leakguard/fingerprint-key",
        "SKIPPED_CONTENT_NOTICE": "all",
    }
    assert InspectorSettings.from_env(env).skipped_content_notice == "all"
