"""The admin email of an incident: what was found where, what is being done, what to do next.

Only formats: the incident is already redacted, so nothing here can reveal a secret.
"""

from __future__ import annotations

from typing import Any

from leakguard.acceptance.notice import accepted_lines
from leakguard.events.security import SecurityEvent
from leakguard.report.display import printable

SUBJECT_PREFIX = "[ACTION REQUIRED]"
#: Monitor incidents come from rules on trial: they inform, they never ask anyone to act.
MONITOR_SUBJECT_PREFIX = "[leakguard monitor]"
MAX_LISTED_FINDINGS = 50
MAX_LISTED_REFS = 50


NOTICE_PREFIX = "[NOTICE]"
MAX_LISTED_SKIPPED = 50


def email_subject(incident: SecurityEvent) -> str:
    """Short subject: prefix, repository and ref(s), finding count (SNS caps it at 100 characters)."""
    name = printable(incident.reference.name)
    if incident.kind == "notice":
        return (
            f"{NOTICE_PREFIX} {incident.scan.skippedFiles} item(s) not scanned in a push to "
            f"{incident.repository.name} {name}"
        )
    count = incident.findingCount
    others = len({r.fullName for r in incident.references} - {incident.reference.fullName})
    where = name + (f" (+{others} more refs)" if others else "")
    if not incident.enforced:
        noun = "finding" if count == 1 else "findings"
        return (
            f"{MONITOR_SUBJECT_PREFIX} {count} monitor-mode {noun} in {incident.repository.name} "
            f"{where} (no action taken)"
        )
    noun = "credential" if count == 1 else "credentials"
    return f"{SUBJECT_PREFIX} {count} {noun} pushed to {incident.repository.name} {where}"


def finding_location(finding: dict[str, Any]) -> str:
    """Where a finding is, as a person reads it: ``file:line``, or which path or message holds it."""
    source = finding.get("source", "file")
    path = printable(finding["path"])
    if source == "path":
        return f"file name {path}"
    if source == "commit-message":
        return f"commit message, line {finding['line']}"
    if source == "tag-message":
        return f"message of tag {path}, line {finding['line']}"
    if source == "ref-name":
        kind = "tag" if finding["path"].startswith("refs/tags/") else "branch"
        return f"name of {kind} {path}"
    return f"{path}:{finding['line']}"


def _finding_line(finding: dict[str, Any]) -> str:
    commit = (finding.get("commit") or "")[:12]
    what = "tag" if finding.get("source") == "tag-message" else "commit"
    return (
        f"  - {finding_location(finding)}  rule {finding['rule_id']} ({finding['severity']}, "
        f"{finding['mode']})  match {finding['redacted']}  {what} {commit}  "
        f"author {printable(str(finding.get('author')))}"
    )


def _references(incident: SecurityEvent) -> list[str]:
    """Every ref carrying the leak, and the commits already gone from every ref."""
    lines = []
    if incident.references:
        lines += ["", f"Refs carrying the leak ({len(incident.references)}):"]
        lines += [
            f"  - {printable(r.fullName)} at {r.commitId[:12]}" for r in incident.references[:MAX_LISTED_REFS]
        ]
        if len(incident.references) > MAX_LISTED_REFS:
            lines.append(f"  ... and {len(incident.references) - MAX_LISTED_REFS} more")
    vanished = [c for c in incident.leakingCommits if c in set(incident.vanishedCommits)]
    if vanished:
        lines += [
            "",
            f"Already removed from the refs: {len(vanished)} leaking commit(s) were force-pushed away or",
            "their branch deleted before leakguard ran; leakguard read them by id. They were public while",
            "a ref pointed at them: the credential must be rotated. There is nothing to reset.",
            *(f"  - {c}" for c in vanished[:MAX_LISTED_REFS]),
        ]
    if incident.broughtBack:
        lines += [
            "",
            f"Pushed back: {len(incident.broughtBack)} leaking commit(s) removed after an earlier incident",
            "(by its reset or by hand) came back with this push (the pusher's clone still held them). Ask",
            "them to drop the commit from their branch (git rebase or git reset) before pushing again,",
            "and rotate the credential if that has not been done yet:",
            *(f"  - {b.commit[:12]} (removed after incident {b.removedBy})" for b in incident.broughtBack),
        ]
    if incident.firstSight:
        lines += [
            "",
            "First sight: leakguard had no record of this repository. History older than this push was",
            "recorded as a baseline without being scanned; `leakguard baseline --audit "
            f"{incident.repository.name}` scans it.",
        ]
    return lines


def _ref_name_lines(incident: SecurityEvent) -> list[str]:
    """What to do about refs whose own name holds a credential: leakguard leaves deleting them to you.

    The name is masked here as everywhere; with the commit it points at, it identifies the ref.
    """
    named = {
        (f["path"], (f.get("commit") or "")[:12]) for f in incident.findings if f.get("source") == "ref-name"
    }
    if not named:
        return []
    lines = [
        "",
        "Ref names holding a credential: the name itself is the leak, readable by everyone who can list",
        "the repository's refs. leakguard does not delete a ref for its name (neither reset nor lock acts",
        "on it): after rotating the credential, delete each ref below yourself. Find its full name from",
        "the commit it points at, then delete it:",
    ]
    for name, commit in sorted(named):
        lines += [
            f"  - {printable(name)} at {commit}:",
            f"      git ls-remote origin | grep ^{commit}",
            "      git push origin --delete <the full name git ls-remote printed, without a trailing ^{}>",
        ]
    return [*lines, "Every push to such a ref raises this incident again until it is deleted."]


def _actions(incident: SecurityEvent) -> list[str]:
    if not incident.enforced:
        return [
            "  - Monitor-mode rules only: this is a notification; the repository is neither locked nor reset."
        ]
    if not incident.leakingCommits and all(f.get("source") == "ref-name" for f in incident.findings):
        return [
            "  - Lock and reset: not applied. The leak is only in a ref's name (see above): there is no",
            "    commit to remove, and lock cannot confirm a ref name over the CodeCommit API.",
        ]
    lines = []
    if incident.remediations.lock:
        lines.append(
            "  - Lock: the repository is being tagged locked; developers lose pull/push until unlocked."
        )
    else:
        lines.append("  - Lock: not enabled for this repository.")
    if not incident.remediations.reset and not incident.references:
        lines.append("  - Reset: nothing to reset, no ref carries the leak any more.")
    elif not incident.remediations.reset:
        lines.append("  - Reset: not enabled for this repository; the leaking commits are still on the refs.")
    elif len({r.fullName for r in incident.references} | {incident.reference.fullName}) > 1:
        refs = len({r.fullName for r in incident.references} | {incident.reference.fullName})
        lines.append(
            f"  - Reset: every one of the {refs} refs carrying the leak (listed above) is being contained, "
            "after the removed commits are quarantined: each branch moved back to its last clean commit "
            "with --force-with-lease (deleted if it only carries the leak), each tag on a leaking commit "
            "deleted. A separate message reports the outcome per ref."
        )
    elif incident.lastCleanCommitId is None:
        lines.append(
            f"  - Reset: {printable(incident.reference.fullName)} is being deleted (it only carries the "
            "leak), after its commits are quarantined."
        )
    else:
        lines.append(
            f"  - Reset: {printable(incident.reference.fullName)} is being moved back to "
            f"{incident.lastCleanCommitId[:12]} with --force-with-lease, after the removed commits are "
            "quarantined. A separate message reports the outcome."
        )
    return lines


def _accepted_section(incident: SecurityEvent) -> list[str]:
    """The audit trail of in-repository acceptances the incident carries."""
    accepted = incident.acceptedFindings or []
    if not accepted:
        return []
    if incident.acceptancePolicy == "findings":
        title = (
            "Accepted in the repository, but counted as findings above (this repository's acceptance "
            "policy does not honour bypasses):"
        )
    else:
        title = "Also pushed, accepted in the repository (honoured, not remediated; audit record):"
    hidden = (incident.acceptedCount or len(accepted)) - len(accepted)
    return ["", title, *accepted_lines(accepted), *([f"  ... and {hidden} more"] if hidden > 0 else [])]


def _skipped_lines(incident: SecurityEvent) -> list[str]:
    """What the push carried that leakguard could not read: it may hold a credential nobody checked."""
    if not incident.skipped:
        return []
    lines = ["", f"Not scanned ({incident.scan.skippedFiles} item(s); check them by hand):"]
    for item in incident.skipped[:MAX_LISTED_SKIPPED]:
        commit = f"  commit {item.commit[:12]}" if item.commit else ""
        lines.append(f"  - {printable(item.path) or '(message)'}: {printable(item.reason)}{commit}")
    hidden = incident.scan.skippedFiles - min(len(incident.skipped), MAX_LISTED_SKIPPED)
    if hidden > 0:
        lines.append(f"  ... and {hidden} more")
    return lines


def _notice_body(incident: SecurityEvent) -> str:
    ref = incident.reference
    lines = [
        "leakguard found no credential in a push to CodeCommit, but could not read all of it.",
        "Severity: low. Nothing was locked or reset.",
        "",
        f"Repository:  {incident.repository.name}",
        f"Reference:   {ref.fullName} ({ref.event}{', forced' if ref.forced else ''})",
        f"Commits:     {(ref.oldCommitId or '(new ref)')[:12]} -> {ref.newCommitId[:12]}, "
        f"{incident.commitCount} new",
        f"Pushed by:   {incident.pusher or 'unknown'}",
        *_skipped_lines(incident),
        "",
        "What to do: make sure the items above hold no credential (an encrypted archive, a file too large",
        "to read in full). The inspector's SKIPPED_CONTENT_NOTICE setting (off, unreadable, all) controls",
        "these notices.",
    ]
    return "\n".join(lines) + "\n"


def email_body(incident: SecurityEvent) -> str:
    """Plain-text body an admin can act on without opening anything else."""
    if incident.kind == "notice":
        return _notice_body(incident)
    ref = incident.reference
    authors = sorted({c.author for c in incident.commits if c.author})
    lines = [
        (
            f"leakguard found {incident.findingCount} credential(s) in a push to CodeCommit."
            if incident.enforced
            else f"leakguard's monitor-mode rules matched {incident.findingCount} time(s) in a push."
        ),
        "",
        f"Repository:  {incident.repository.name}",
        f"Reference:   {printable(ref.fullName)} ({ref.event}{', forced' if ref.forced else ''})",
        f"Commits:     {(ref.oldCommitId or '(new ref)')[:12]} -> {ref.newCommitId[:12]}, "
        f"{incident.commitCount} new",
        f"Pushed by:   {printable(incident.pusher or 'unknown')}",
        f"Author(s):   {printable(', '.join(authors)) or 'unknown'}",
        f"Incident:    {incident.incidentId}  (mode: {incident.mode})",
        "",
        "Findings (matches are redacted):",
        *(_finding_line(f) for f in incident.findings[:MAX_LISTED_FINDINGS]),
    ]
    hidden = incident.findingCount - min(len(incident.findings), MAX_LISTED_FINDINGS)
    if hidden > 0:
        where = (
            f" (full report: s3://{incident.report.bucket}/{incident.report.key})" if incident.report else ""
        )
        lines.append(f"  ... and {hidden} more{where}")
    lines += _references(incident)
    lines += _ref_name_lines(incident)
    lines += _accepted_section(incident)
    lines += _skipped_lines(incident)
    lines += [
        "",
        "Actions taken:",
        "  - Notify: this email.",
        *_actions(incident),
    ]
    if not incident.enforced:
        lines += [
            "",
            "No action is required: monitor-mode rules are being trialled by the security team, and",
            "their findings are reported for review only. The rule's owner decides whether it moves to",
            "enforce mode; a finding that looks wrong can be reported to them as a false positive.",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "Next steps:",
        "  1. Rotate (revoke and reissue) every credential above NOW. Removing it from git is not enough:",
        "     anyone who fetched the push, and any clone or CI cache, still has it.",
        "  2. Check the provider's logs for use of the credential since the push.",
        f"  3. Unlock the repository when it is safe: leakguard unlock {incident.repository.name} "
        '--reason "credential rotated"',
        f"  4. Restore quarantined commits (if reset ran): leakguard restore {incident.incidentId} "
        f"--repository {incident.repository.name} --bucket QUARANTINE_BUCKET --repo-dir PATH/TO/CLONE",
    ]
    return "\n".join(lines) + "\n"
