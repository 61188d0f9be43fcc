"""SARIF rule descriptors as GitHub code scanning wants them: what a rule finds, how to act on a hit.

GitHub requires ``fullDescription`` and ``help`` on every rule, reads the alert's severity from the
numeric ``security-severity`` property (it ignores words such as "critical"), and shows ``help``
beside each alert: so the help says what the rule finds, how to rotate a real credential and how to
accept a false positive, in plain text and in Markdown.
"""

from __future__ import annotations

from typing import Any

from leakguard import ADMIN_GUIDE_URL
from leakguard.findings import Finding
from leakguard.rules.model import RuleSet

#: GitHub's bands: critical over 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
#: SARIF levels of enforce-mode findings; a monitor rule's are one step lower (it fails nothing).
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_LOWER = {"error": "warning", "warning": "note", "note": "note"}
#: CWE-798, Use of Hard-coded Credentials: GitHub lists the CWE tag beside the alert.
TAGS = ["security", "secret", "external/cwe/cwe-798"]
FAQ_URL = f"{ADMIN_GUIDE_URL}#false-positive-faq"
_PLUGINS = {
    "high-entropy-base64": "detect-secrets' high-entropy (base64) plugin",
    "high-entropy-hex": "detect-secrets' high-entropy (hex) plugin",
    "secret-keyword": "detect-secrets' keyword plugin",
}


def level(severity: str, mode: str) -> str:
    """The SARIF level of a finding: by severity, one step lower for a monitor rule."""
    base = _LEVELS.get(severity, "warning")
    return _LOWER[base] if mode == "monitor" else base


def friendly_name(rule_id: str) -> str:
    """``aws-access-key-id`` → ``AwsAccessKeyId`` (SARIF wants a Pascal-case ``name``)."""
    return "".join(part[:1].upper() + part[1:] for part in rule_id.replace("_", "-").split("-") if part)


def descriptor(rule_id: str, sample: Finding, ruleset: RuleSet) -> dict[str, Any]:
    """The ``reportingDescriptor`` of ``rule_id``; ``sample`` (one of its findings) stands in for a
    rule the rules file does not hold (a detect-secrets plugin)."""
    try:
        rule = ruleset.by_id(rule_id)
        description, severity, mode = rule.description, rule.severity, rule.mode
        origin = f"rule `{rule_id}` of the rules file"
    except KeyError:
        description, severity, mode = sample.description, sample.severity, sample.mode
        origin = _PLUGINS.get(rule_id, f"detector `{rule_id}`")
    text, markdown = _help(rule_id, description, severity, mode, origin)
    return {
        "id": rule_id,
        "name": friendly_name(rule_id),
        "shortDescription": {"text": description},
        "fullDescription": {"text": _full_description(description, severity, mode)},
        "help": {"text": text, "markdown": markdown},
        "helpUri": FAQ_URL,
        "defaultConfiguration": {"level": level(severity, mode)},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(severity, SECURITY_SEVERITY["medium"]),
            "severity": severity,
            "mode": mode,
            "tags": list(TAGS),
        },
    }


def _full_description(description: str, severity: str, mode: str) -> str:
    sentence = description.rstrip(".")
    return f"{sentence}. A hard-coded credential ({severity}): {_consequence(mode)}"


def _consequence(mode: str) -> str:
    if mode == "monitor":
        return (
            "this rule is in monitor mode, on trial: a push with a hit notifies the admins and nothing "
            "else, and the scan does not fail."
        )
    return (
        "a push that adds one raises a security incident: the admins are emailed, and the repository "
        "can be locked and the branch reset to its last clean commit."
    )


def _help(rule_id: str, description: str, severity: str, mode: str, origin: str) -> tuple[str, str]:
    """Plain-text and Markdown help: what was found, what to do if it is real, and if it is not."""
    rotate = (
        "Rotate it at its issuer now: revoke it and create a new one. Deleting it from git is not "
        "enough: every clone, fork, CI cache and mirror that fetched the commit still holds it.",
        "Keep the new value out of the code: a secret manager, or the environment at run time.",
        "Then remove the old value from the code (rewriting history is optional once it is revoked).",
    )
    accept = (
        "On the line itself: a comment `leakguard:allow <reason>`.",
        "For this finding: `leakguard scan --write-ignore` adds its fingerprint to `.leakguardignore`; "
        "commit that file.",
        "Both are bypasses: the bot honours them (no lock, no reset) and sends the admins a notice "
        "saying who accepted what, where and why.",
        "A rule that is wrong for everyone: ask your security team to allowlist it in `rules/regex.json`.",
    )
    found = f"leakguard's {origin} found what looks like this credential: {description}."
    found_markdown = f"leakguard's {origin} found what looks like this credential: {_escape(description)}."
    text = "\n".join(
        [
            found,
            f"Severity {severity}, mode {mode}: {_consequence(mode)}",
            "",
            "If it is a real credential:",
            *(f"{n}. {step}" for n, step in enumerate(rotate, 1)),
            "",
            "If it is not a credential (a false positive):",
            *(f"- {step}" for step in accept),
            "",
            f"More: {FAQ_URL}",
        ]
    )
    markdown = "\n".join(
        [
            f"**{_escape(description)}** (`{rule_id}`)",
            "",
            f"{found_markdown} Severity **{severity}**, mode **{mode}**: {_consequence(mode)}",
            "",
            "#### If it is a real credential",
            "",
            *(f"{n}. {step}" for n, step in enumerate(rotate, 1)),
            "",
            "#### If it is not a credential (a false positive)",
            "",
            *(f"- {step}" for step in accept),
            "",
            f"See the [false-positive FAQ]({FAQ_URL}).",
        ]
    )
    return text, markdown


def _escape(text: str) -> str:
    """Rule descriptions are the security team's words: shown as text, never as Markdown or HTML."""
    for char in "\\`*_{}[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
