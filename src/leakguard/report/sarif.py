"""SARIF 2.1.0, the format code-scanning dashboards ingest, in the shape GitHub code scanning accepts.

GitHub rejects a whole upload when one result has no physical location, so every result gets one:
the file and its region for content, the file without a region for a match in its *name*, and for a
commit or tag message a stand-in artifact (``COMMIT_MSG``/``TAG_MSG``, the name Gerrit gives a commit
message) with the message's line, plus a logical location naming the commit or tag object. URIs are
relative to the scan's root (``uriBaseId`` ``SRCROOT``, declared in ``originalUriBaseIds``), so a scan
of an absolute path still uploads against the repository. ``make sarif-check`` runs Microsoft's
validator with GitHub's rules over real scans.

Findings a developer accepted in the repository (``leakguard:allow``, the ignore file) are results too,
with a SARIF ``suppression`` (``inSource`` for the inline marker, ``external`` for the ignore file,
status ``accepted``, the developer's reason as justification): dashboards show them as dismissed, and a
bypass stays visible to the security team instead of vanishing from the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from leakguard import PROJECT_URL, __version__
from leakguard.findings import AcceptedFinding, Finding, SkippedFile
from leakguard.report.sarif_rules import descriptor, level
from leakguard.rules.model import RuleSet
from leakguard.scan import ScanReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "SRCROOT"
#: The fingerprint scheme's version (:mod:`leakguard.fingerprints`, domain ``.../v2``).
FINGERPRINT_KEY = "leakguard/v2"
#: Stand-in artifacts for matches in messages, which are no file of the repository.
MESSAGE_ARTIFACTS = {"commit-message": "COMMIT_MSG", "tag-message": "TAG_MSG"}


def render_sarif(report: ScanReport, ruleset: RuleSet, *, root: Path | None = None) -> str:
    """A SARIF log with one run: every rule that produced a finding, every finding, skipped files.

    ``root`` is the directory finding paths are relative to (the repository's work tree, or the
    scanned directory); it is declared as ``SRCROOT`` when known.
    """
    used: dict[str, Finding] = {}
    for finding in [*report.findings, *(a.finding for a in report.accepted)]:
        used.setdefault(finding.rule_id, finding)
    descriptors = [descriptor(rule_id, sample, ruleset) for rule_id, sample in sorted(used.items())]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    based = root is not None
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "leakguard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_skipped(s, based) for s in report.skipped],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [
            *(_result(f, index[f.rule_id], based) for f in report.findings),
            *(_suppressed(a, index[a.finding.rule_id], based) for a in report.accepted),
        ],
    }
    if root is not None:
        run["originalUriBaseIds"] = {
            SRCROOT: {
                "uri": _directory_uri(root),
                "description": {"text": "The root of the scanned repository or directory."},
            }
        }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _result(finding: Finding, rule_index: int, based: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "redacted": finding.redacted,
        "mode": finding.mode,
        "severity": finding.severity,
        "detector": finding.detector,
        "source": finding.source,
    }
    if finding.commit:
        properties["commit"] = finding.commit
    if finding.author:
        properties["author"] = finding.author
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity, finding.mode),
        "message": {"text": _message(finding)},
        "locations": [_location(finding, based)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }


def _suppressed(accepted: AcceptedFinding, rule_index: int, based: bool) -> dict[str, Any]:
    """An accepted finding: its result, with the acceptance as a SARIF suppression."""
    result = _result(accepted.finding, rule_index, based)
    suppression: dict[str, Any] = {
        "kind": "inSource" if accepted.via == "inline" else "external",
        "status": "accepted",
        "justification": accepted.reason or f"accepted in the repository ({accepted.via})",
    }
    if accepted.entry:
        suppression["properties"] = {"entry": accepted.entry}
    result["suppressions"] = [suppression]
    return result


def _message(finding: Finding) -> str:
    where = {
        "path": " in a file name",
        "commit-message": f" in the message of commit {finding.commit}",
        "tag-message": f" in the message of tag {finding.path}",
    }.get(finding.source, "")
    monitor = " (monitor rule: reported, not enforced)" if finding.mode == "monitor" else ""
    return f"{finding.description.rstrip('.')}{where}: {finding.redacted}{monitor}."


def _location(finding: Finding, based: bool) -> dict[str, Any]:
    """A file's region for content; the file itself for a name; a stand-in artifact for a message.

    SARIF regions are lines of an artifact: a match in a file *name* points at the file with no
    region; a commit or tag message is no file, so it points at ``COMMIT_MSG``/``TAG_MSG`` (with the
    message's line) and names the object in a logical location.
    """
    if finding.source in MESSAGE_ARTIFACTS:
        name = finding.commit or finding.path
        return {
            "physicalLocation": {
                "artifactLocation": {
                    "uri": MESSAGE_ARTIFACTS[finding.source],
                    "description": {"text": f"the {finding.source.replace('-', ' ')} of {name}"},
                },
                "region": _region(finding),
            },
            "logicalLocations": [{"name": name, "kind": finding.source}],
        }
    artifact = _artifact(finding.path, based)
    if finding.source == "path":
        return {"physicalLocation": {"artifactLocation": artifact}}
    return {"physicalLocation": {"artifactLocation": artifact, "region": _region(finding)}}


def _region(finding: Finding) -> dict[str, int]:
    """Start and end of the secret (1-based; ``endColumn`` is just past it, as SARIF counts)."""
    start_line, start_column = max(finding.line, 1), max(finding.column, 1)
    end_line = max(finding.end_line, start_line)
    end_column = finding.end_column
    if end_line == start_line and end_column <= start_column:
        end_column = start_column + 1  # not known: the secret's first character
    return {
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    }


def _artifact(path: str, based: bool) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": path_uri(path)}
    if based:
        artifact["uriBaseId"] = SRCROOT
    return artifact


def _skipped(skipped: SkippedFile, based: bool) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "note",
        "message": {"text": f"skipped: {skipped.reason}"},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(skipped.path, based)}}],
    }
    if skipped.commit:
        notification["properties"] = {"commit": skipped.commit}
    return notification


def path_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference: ``a b/c#1.py`` → ``a%20b/c%231.py``.

    A raw space, ``#`` or ``%`` would make the URI invalid or change its meaning; bytes that are not
    UTF-8 (kept by surrogateescape) are encoded as the bytes they were.
    """
    return quote(path.lstrip("/"), safe="/*!$&'()+,;=@", errors="surrogateescape")


def _directory_uri(root: Path) -> str:
    uri = root.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"
