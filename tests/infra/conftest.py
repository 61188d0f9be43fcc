"""Synthesize the app once per session, with cdk-nag, for every infra test to read.

Two stacks in one App cover both shapes of the configuration (every repository / a named list with
remediations, admins and x86_64) at the cost of one synthesis: jsii start-up and synthesis dominate
the suite's time, so nothing else in tests/infra synthesizes again except the app.py smoke test.
Bundling is skipped (``aws:cdk:bundling-stacks: []``): no Docker, no pip, no network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from stacks import LeakguardConfig, LeakguardStack

ALL_REPOS: dict[str, Any] = {}
REPOSITORY_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LISTED: dict[str, Any] = {
    "repositories": ["payments", "web-frontend"],
    "notificationEmails": ["security@example.com", "oncall@example.com"],
    "remediations": {"payments": {"lock": True, "reset": True}, "*": {"lock": True}},
    "adminRoleArns": ["arn:aws:iam::123456789012:role/SecurityAdmin"],
    "architecture": "x86_64",
    "quarantineRetentionDays": 30,
    "acceptancePolicy": {"payments": "findings"},
    "repositoryKmsKeyArns": [REPOSITORY_KEY],
    "rulesRefreshSeconds": 60,
}


@dataclass
class Synthesized:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    violations: list[dict[str, Any]]
    acknowledgements: dict[str, dict[str, str]]
    error: str | None

    def template(self, stack: str) -> Template:
        return Template.from_json(self.templates[stack])


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(
        outdir=str(outdir),
        context={"aws:cdk:bundling-stacks": [], "@aws-cdk/core:validationReportJson": True},
    )
    for name, context in (("AllRepos", ALL_REPOS), ("Listed", LISTED)):
        LeakguardStack(app, name, config=LeakguardConfig.from_mapping(context))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings fail synthesis; the report says which
        error = str(exc)
    report = json.loads((outdir / "policy-validation-report.json").read_text())
    violations = [v for plugin in report["pluginReports"] for v in plugin["violations"]]
    acknowledgements: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                acknowledgements.setdefault(construct.node.path, {}).update(entry.data)
    templates = {
        name: json.loads((outdir / f"{name}.template.json").read_text()) for name in ("AllRepos", "Listed")
    }
    return Synthesized(outdir, templates, violations, acknowledgements, error)


@pytest.fixture(scope="session")
def all_repos(synthesized: Synthesized) -> Template:
    return synthesized.template("AllRepos")


@pytest.fixture(scope="session")
def listed(synthesized: Synthesized) -> Template:
    return synthesized.template("Listed")
