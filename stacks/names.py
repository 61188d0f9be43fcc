"""Names shared with the handlers, exactly as fixed in ``docs/pipeline-contract.md``.

They live in one module so that the stack, the infra tests and the contract page cannot drift apart
silently: a rename here fails the environment-key tests until the contract and handlers follow.
"""

from __future__ import annotations

from typing import Final

SECURITY_BUS_NAME: Final = "leakguard-security-events"
SECURITY_EVENT_SOURCE: Final = "leakguard.inspector"
SECURITY_EVENT_DETAIL_TYPE: Final = "CodeCommit Security Event"
# Findings the repository itself accepted: audited by notify, never seen by lock or reset.
BYPASS_NOTICE_DETAIL_TYPE: Final = "CodeCommit Bypass Notice"

CODECOMMIT_SOURCE: Final = "aws.codecommit"
CODECOMMIT_DETAIL_TYPE: Final = "CodeCommit Repository State Change"
# referenceDeleted introduces no commits to scan, but may remove the last ref carrying a recorded leak:
# the inspector then records it as removed (leakguard.inspection.record), so a push bringing it back alerts.
PUSH_EVENTS: Final = ("referenceCreated", "referenceUpdated", "referenceDeleted")

DEFAULT_GIT_REMOTE_TEMPLATE: Final = "codecommit::{region}://{repository}"
# The lock and `leakguard unlock` record who/when/why in tags under this prefix (leakguard:lockedAt,
# leakguard:lockIncident, leakguard:unlockedBy, ...), next to the lock tag itself.
AUDIT_TAG_PATTERN: Final = "leakguard:*"
REPORT_PREFIX: Final = "reports/"
# The published rules (``leakguard rules publish``; the CLI's default --key is the same).
RULES_OBJECT_KEY: Final = "rules/active.json"
# The metric a function adds when it refuses a published rules version (leakguard.rules.alerts).
RULES_REFUSED_METRIC: Final = "RulesRefused"
# The inspector's metric for a clone larger than its whole clone budget (leakguard.inspection.clone).
CLONE_OVER_BUDGET_METRIC: Final = "CloneOverBudget"
RULES_ENV: Final = ("RULES_BUCKET", "RULES_KEY", "RULES_REFRESH_SECONDS")
QUARANTINE_PREFIX: Final = "quarantine/"

HANDLERS: Final = {
    "inspector": "handlers.inspector.handler",
    "notify": "handlers.notify.handler",
    "lock": "handlers.lock.handler",
    "reset": "handlers.reset.handler",
}

# Environment variables each function receives (the contract's table), besides the runtime plumbing
# (HOME and the Powertools knobs other than the service name) that the function construct adds itself.
CONTRACT_ENV: Final = {
    "inspector": (
        "EVENT_BUS_NAME",
        "REPORT_BUCKET",
        "IDEMPOTENCY_TABLE",
        "SCAN_RECORD_TABLE",
        "TOPIC_ARN",
        "WATCHED_REPOSITORIES",
        "REMEDIATIONS",
        "GIT_REMOTE_TEMPLATE",
        "FINGERPRINT_KEY_SECRET",
        "ACCEPTANCE_POLICY",
        "SKIPPED_CONTENT_NOTICE",
        *RULES_ENV,
        "POWERTOOLS_SERVICE_NAME",
    ),
    "notify": ("TOPIC_ARN", "IDEMPOTENCY_TABLE", "REPORT_BUCKET", "POWERTOOLS_SERVICE_NAME"),
    "lock": (
        "LOCK_TAG_KEY",
        "LOCK_TAG_VALUE",
        "TOPIC_ARN",
        "IDEMPOTENCY_TABLE",
        "REMEDIATIONS",
        *RULES_ENV,
        "POWERTOOLS_SERVICE_NAME",
    ),
    "reset": (
        "QUARANTINE_BUCKET",
        "GIT_REMOTE_TEMPLATE",
        "TOPIC_ARN",
        "IDEMPOTENCY_TABLE",
        "REPORT_BUCKET",
        "SCAN_RECORD_TABLE",
        "REMEDIATIONS",
        *RULES_ENV,
        "POWERTOOLS_SERVICE_NAME",
    ),
}
