"""Human-readable report for a terminal: findings, what the repository accepted, what was skipped.

Colour only when asked (the CLI asks on a TTY unless ``NO_COLOR`` is set), and one hint line after
findings saying how to accept a false positive and where to report a rule that is wrong.
"""

from __future__ import annotations

from leakguard.findings import Finding
from leakguard.report.display import printable
from leakguard.scan import ScanReport

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_COLOURS = {"critical": "1;31", "high": "31", "medium": "33", "low": "36", "monitor": "35"}
HINT = (
    "hint: a false positive? add a `leakguard:allow <reason>` comment on its line, or accept it with "
    "`leakguard scan --write-ignore` (both are reported to the admins); a rule that is wrong goes to your "
    "security team, see docs/admin.md#false-positive-faq"
)


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_text(report: ScanReport, *, colour: bool = False, hint: bool = True) -> str:
    """The findings, the accepted findings, skipped files, notices and a one-line summary."""
    out: list[str] = []
    for f in sorted(report.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.path, f.line)):
        where = _where(f)
        commit = f" {'tag' if f.source == 'tag-message' else 'commit'} {f.commit[:12]}" if f.commit else ""
        author = f" by {printable(f.author)}" if f.author else ""
        label = _paint(f"{f.severity.upper():8}", _COLOURS.get(f.severity, "0"), colour)
        monitor = " " + _paint("[monitor]", _COLOURS["monitor"], colour) if f.mode == "monitor" else ""
        out.append(f"{label} {f.rule_id}{monitor}  {where}{commit}{author}")
        out.append(f"         {f.description}; secret {f.redacted}; fingerprint {f.fingerprint}")
    for a in report.accepted:
        f = a.finding
        how = "leakguard:allow" if a.via == "inline" else f"{a.entry}"
        reason = f": {a.reason}" if a.reason else ""
        where = _where(f, column=False)
        out.append(f"{_paint('ACCEPTED', '2', colour)} {f.rule_id}  {where} ({printable(how + reason)})")
    for s in report.skipped:
        commit = f" (commit {s.commit[:12]})" if s.commit else ""
        out.append(
            f"{_paint('SKIPPED ', '2', colour)} {printable(s.path) or '(message)'}{commit}: {s.reason}"
        )
    for notice in report.notices:
        out.append(f"NOTE     {printable(notice)}")
    summary = (
        f"{len(report.findings)} finding(s) in {report.files} file(s), {len(report.commits)} commit(s), "
        f"{report.lines} line(s) scanned; {len(report.skipped)} file(s) skipped"
    )
    if report.accepted:
        inline = sum(1 for a in report.accepted if a.via == "inline")
        summary += (
            f"; {len(report.accepted)} accepted in the repository "
            f"({inline} by leakguard:allow, {len(report.accepted) - inline} by the ignore file)"
        )
    out.append(summary)
    if hint and report.findings:
        out.append(_paint(HINT, "2", colour))
    return "\n".join(out) + "\n"


def _where(finding: Finding, *, column: bool = True) -> str:
    """``path:line:column``, or the path or message a finding is in; names escaped for the terminal."""
    path = printable(finding.path)
    at = f"{finding.line}:{finding.column}" if column else f"{finding.line}"
    if finding.source == "path":
        return f"file name {path}"
    if finding.source == "commit-message":
        return f"commit message:{at}"
    if finding.source == "tag-message":
        return f"tag {path} message:{at}"
    return f"{path}:{at}"
