"""JSON lines (one object a line, ``kind`` says which) and a single JSON document of the same content."""

from __future__ import annotations

import json
from typing import Any

from leakguard.scan import ScanReport


def _summary(report: ScanReport) -> dict[str, Any]:
    return {
        "findings": len(report.findings),
        "files": report.files,
        "commits": len(report.commits),
        "lines": report.lines,
        "bytes": report.bytes,
        "skipped": len(report.skipped),
        "ignored": report.ignored,
        "accepted": len(report.accepted),
    }


def render_jsonl(report: ScanReport) -> str:
    """Findings, accepted findings, skipped files, then a summary, each one JSON object a line."""
    rows = [{"kind": "finding", **f.to_dict()} for f in report.findings]
    rows += [{"kind": "accepted", **a.to_dict()} for a in report.accepted]
    rows += [{"kind": "skipped", **s.to_dict()} for s in report.skipped]
    rows += [{"kind": "notice", "message": n} for n in report.notices]
    rows.append({"kind": "summary", **_summary(report)})
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def render_json(report: ScanReport) -> str:
    """One JSON document: ``{"findings": [...], "accepted": [...], "skipped": [...], "summary": {...}}``."""
    document = {
        "findings": [f.to_dict() for f in report.findings],
        "accepted": [a.to_dict() for a in report.accepted],
        "skipped": [s.to_dict() for s in report.skipped],
        "notices": list(report.notices),
        "summary": _summary(report),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
