"""JSON lines: one object a line, ``kind`` says which (finding, skipped, summary)."""

from __future__ import annotations

import json

from leakguard.scan import ScanReport


def render_jsonl(report: ScanReport) -> str:
    """Findings, then skipped files, then a summary, each one JSON object a line."""
    rows = [{"kind": "finding", **f.to_dict()} for f in report.findings]
    rows += [{"kind": "skipped", **s.to_dict()} for s in report.skipped]
    rows.append(
        {
            "kind": "summary",
            "findings": len(report.findings),
            "files": report.files,
            "commits": len(report.commits),
            "lines": report.lines,
            "bytes": report.bytes,
            "skipped": len(report.skipped),
            "ignored": report.ignored,
        }
    )
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
