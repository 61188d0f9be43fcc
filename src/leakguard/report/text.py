"""Human-readable report for a terminal."""

from __future__ import annotations

from leakguard.scan import ScanReport

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def render_text(report: ScanReport) -> str:
    """The findings, the skipped files and a one-line summary."""
    out: list[str] = []
    for f in sorted(report.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.path, f.line)):
        where = f"{f.path}:{f.line}:{f.column}"
        commit = f" commit {f.commit[:12]}" if f.commit else ""
        author = f" by {f.author}" if f.author else ""
        monitor = " [monitor]" if f.mode == "monitor" else ""
        out.append(f"{f.severity.upper():8} {f.rule_id}{monitor}  {where}{commit}{author}")
        out.append(f"         {f.description}; secret {f.redacted}; fingerprint {f.fingerprint}")
    for s in report.skipped:
        commit = f" (commit {s.commit[:12]})" if s.commit else ""
        out.append(f"SKIPPED  {s.path}{commit}: {s.reason}")
    summary = (
        f"{len(report.findings)} finding(s) in {report.files} file(s), {len(report.commits)} commit(s), "
        f"{report.lines} line(s) scanned; {len(report.skipped)} file(s) skipped"
    )
    if report.ignored:
        summary += f"; {report.ignored} accepted by the ignore file"
    out.append(summary)
    return "\n".join(out) + "\n"
