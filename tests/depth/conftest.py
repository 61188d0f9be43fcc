"""Shared by the detection-depth tests: the bundled rules, compiled once per session."""

from __future__ import annotations

import pytest

from leakguard.detect.engine import Detector
from leakguard.rules import load_rules


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The production rule set with the detect-secrets plugins, as the inspector runs it."""
    return Detector(load_rules())


@pytest.fixture(scope="session")
def rules_only() -> Detector:
    return Detector(load_rules(), plugins=False)
