"""cdk-nag's AwsSolutions pack: no unacknowledged finding, and every acknowledgement is one we chose."""

from __future__ import annotations

from .conftest import Synthesized

XRAY = "AwsSolutions-IAM5[Resource::*]"
LOG_TARGET = "AwsSolutions-S1"
DLQ = "AwsSolutions-SQS3"


def _nag(synthesized: Synthesized) -> dict[str, dict[str, str]]:
    """Acknowledgements of AwsSolutions rules by construct path (CDK's own ones left out)."""
    result: dict[str, dict[str, str]] = {}
    for path, acks in synthesized.acknowledgements.items():
        ours = {k.removeprefix("Annotation::"): v for k, v in acks.items() if "AwsSolutions-" in k}
        if ours:
            result[path] = ours
    return result


def test_no_unacknowledged_findings(synthesized: Synthesized) -> None:
    findings = [
        f"{v['ruleName']} at {[r['constructPath'] for r in v['violatingResources']]}"
        for v in synthesized.violations
    ]
    assert findings == []
    assert synthesized.error is None


def test_every_acknowledgement_has_a_reason(synthesized: Synthesized) -> None:
    acks = _nag(synthesized)
    assert acks
    for path, rules in acks.items():
        for rule, reason in rules.items():
            assert len(reason) > 40, f"{path} {rule}: give the reason, not a placeholder"


def test_acknowledged_findings_are_exactly_the_reviewed_ones(synthesized: Synthesized) -> None:
    """A new acknowledgement must be added here on purpose, with its reason reviewed."""
    acks = _nag(synthesized)
    all_repos = (
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codecommit:<AWS::Region>:<AWS::AccountId>:*]"
    )
    reports = "AwsSolutions-IAM5[Resource::<ReportsBucket95FE29A2.Arn>/reports/*]"
    quarantine = "AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/quarantine/*]"
    for stack in ("AllRepos", "Listed"):
        wildcard_repos = {all_repos} if stack == "AllRepos" else set()
        expected = {
            f"{stack}/AccessLogs/Bucket": {LOG_TARGET},
            f"{stack}/Inspection/InspectorDeadLetters": {DLQ},
            f"{stack}/FanOut/NotifyDeadLetters": {DLQ},
            f"{stack}/FanOut/LockDeadLetters": {DLQ},
            f"{stack}/FanOut/ResetDeadLetters": {DLQ},
            f"{stack}/BypassNotices/NotifyBypassDeadLetters": {DLQ},
            f"{stack}/Inspection/Inspector/FailedEvents": {DLQ},
            f"{stack}/Remediation/Notify/FailedEvents": {DLQ},
            f"{stack}/Remediation/Lock/FailedEvents": {DLQ},
            f"{stack}/Remediation/Reset/FailedEvents": {DLQ},
            f"{stack}/FingerprintKey/Secret": {"AwsSolutions-SMG4"},
            f"{stack}/Inspection/Inspector/Role": {XRAY, reports} | wildcard_repos,
            f"{stack}/Remediation/Notify/Role": {XRAY, reports},
            # AllRepos watches every repository but enables no remediation: lock and reset get none.
            f"{stack}/Remediation/Lock/Role": {XRAY},
            f"{stack}/Remediation/Reset/Role": {XRAY, reports, quarantine},
        }
        assert {p: set(r) for p, r in acks.items() if p.startswith(f"{stack}/")} == expected
