"""The email admins get when a function refuses a published rules version.

It names the refused version and the first validation error (which names a rule and a field; the
rules and their examples are the security team's own generated or placeholder values, and no error
repeats a value a rule matches), says what stays active and how to fix or roll back.
"""

from __future__ import annotations

from leakguard.remediate.alerts import shown
from leakguard.rules.active import Refusal

SUBJECT_PREFIX = "[leakguard] RULES REFUSED"
#: The CloudWatch metric every refusal adds (the stack alarms on it).
METRIC = "RulesRefused"


def refused_alert(function: str, refusal: Refusal) -> tuple[str, str]:
    """Subject and body of the alert."""
    what = f"version {shown(refusal.version, 60)}" if refusal.version else "unreadable"
    subject = f"{SUBJECT_PREFIX}: {function} keeps the last good rules ({what})"
    more = len(refusal.problems) - 1
    lines = [
        f"leakguard's {function} function did not activate the published rules: it keeps scanning with",
        "the last good rules. Nothing stopped; the new rules are simply not in use.",
        "",
        f"Rules object:  {shown(refusal.source)}",
        f"Refused:       {'version ' + shown(refusal.version) if refusal.version else 'could not be read'}",
        f"First error:   {shown(refusal.problems[0], 500)}",
        *([f"               (and {more} more: run leakguard rules lint / rules test)"] if more > 0 else []),
        f"Still active:  {shown(refusal.kept, 300)}",
        "",
        "What to do:",
    ]
    if refusal.version:
        lines += [
            "  1. Get the refused file: aws s3api get-object --bucket BUCKET --key KEY "
            f"--version-id {shown(refusal.version)} refused.json",
            "  2. leakguard rules lint --rules refused.json && leakguard rules test --rules refused.json",
            "  3. Fix it and publish it with `leakguard rules publish FILE --stack STACK` (which validates",
            "     before it uploads: a version refused here was uploaded around it, or was validated by an",
            "     older leakguard whose built-in rules differ from the deployed ones).",
            "  To roll back instead, publish the last good file again; deleting the object makes the",
            "  functions use the bundled rules.",
        ]
    else:
        lines += [
            "  Check the function role's access to the rules object and its KMS key (s3:GetObject,",
            "  kms:Decrypt) and the bucket policy. The function retries at every rules refresh.",
        ]
    lines += ["", f"The alarm on the {METRIC} metric stays raised while the refused version is current."]
    return subject, "\n".join(lines) + "\n"
