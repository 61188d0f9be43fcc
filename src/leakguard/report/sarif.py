"""SARIF 2.1.0, the format code-scanning dashboards ingest."""

from __future__ import annotations

import json
from typing import Any

from leakguard import __version__
from leakguard.rules.model import RuleSet
from leakguard.scan import ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def render_sarif(report: ScanReport, ruleset: RuleSet) -> str:
    """A SARIF log with one run: every rule that produced a finding, every finding, skipped files."""
    used = {f.rule_id: f for f in report.findings}
    descriptors = []
    for rule_id, sample in sorted(used.items()):
        try:
            description = ruleset.by_id(rule_id).description
        except KeyError:
            description = sample.description
        descriptors.append(
            {
                "id": rule_id,
                "shortDescription": {"text": description},
                "defaultConfiguration": {"level": _LEVELS.get(sample.severity, "warning")},
                "properties": {"security-severity": sample.severity, "tags": ["security", "secret"]},
            }
        )
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = [_result(f, index[f.rule_id]) for f in report.findings]
    notifications = [
        {
            "level": "note",
            "message": {"text": f"skipped: {s.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": s.path}}}],
        }
        for s in report.skipped
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "leakguard",
                        "version": __version__,
                        "informationUri": "https://github.com/leakguard/leakguard",
                        "rules": descriptors,
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _result(finding: Any, rule_index: int) -> dict[str, Any]:
    properties = {
        "redacted": finding.redacted,
        "mode": finding.mode,
        "severity": finding.severity,
        "detector": finding.detector,
    }
    if finding.commit:
        properties["commit"] = finding.commit
    if finding.author:
        properties["author"] = finding.author
    properties["source"] = finding.source
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(finding.severity, "warning"),
        "message": {"text": f"{finding.description}{_in(finding)}: {finding.redacted}"},
        "locations": [_location(finding)],
        "partialFingerprints": {"leakguard/v1": finding.fingerprint},
        "properties": properties,
    }


def _in(finding: Any) -> str:
    return {
        "path": " in a file name",
        "commit-message": " in a commit message",
        "tag-message": " in a tag message",
    }.get(finding.source, "")


def _location(finding: Any) -> dict[str, Any]:
    """A file's line for content; the file itself for a path; a logical location for a message.

    SARIF regions are 1-based lines of an artifact: a match in a file *name* points at the file with
    no region, and a commit or tag message is no file at all, so it gets a logical location
    (``kind`` says which) named by the commit or tag object, with the line of the message.
    """
    if finding.source == "path":
        return {"physicalLocation": {"artifactLocation": {"uri": finding.path}}}
    if finding.source in ("commit-message", "tag-message"):
        name = finding.commit or finding.path
        return {
            "logicalLocations": [{"name": name, "kind": finding.source}],
            "message": {"text": f"{finding.source} line {finding.line}, column {finding.column}"},
        }
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": finding.path},
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }
    }
