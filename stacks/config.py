"""The app's configuration: CDK context in, one validated, typed object out.

Every setting is read and checked here, once, so that a typo in ``cdk.json`` or a ``-c`` override fails
``cdk synth`` with a message naming the key instead of deploying something half-configured. Nothing
here does I/O: the context values arrive already parsed (CDK passes ``-c key=value`` as a string,
so JSON strings are accepted too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .names import DEFAULT_GIT_REMOTE_TEMPLATE

Architecture = Literal["arm64", "x86_64"]

# CodeCommit repository names: letters, digits, '.', '_' and '-', at most 100 characters.
_REPO_NAME = re.compile(r"^[\w.-]{1,100}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")
ACCEPTANCE_POLICIES = ("honour", "findings")
_KEY_ARN = re.compile(r"^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{1,64}$")
# An IAM principal ARN as aws:PrincipalArn carries it (ArnNotLike may use * and ?).
_PRINCIPAL_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):iam::(?P<account>\d{12}):(?P<resource>[\w+=,.@/*?-]+)$"
)
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]+)/[^/]+$"
)
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


#: Every context key the app reads (``stackName`` aside, which app.py reads itself): a key missing
#: here would be ignored by ``cdk deploy -c KEY=...`` without a word.
CONTEXT_KEYS = (
    "repositories",
    "notificationEmails",
    "remediations",
    "lockTagKey",
    "lockTagValue",
    "architecture",
    "adminRoleArns",
    "quarantineRetentionDays",
    "reportRetentionDays",
    "logRetentionDays",
    "gitRemoteTemplate",
    "gitLayerArn",
    "repositoryKmsKeyArns",
    "acceptancePolicy",
    "skippedContentNotice",
    "rulesRefreshSeconds",
)


class ConfigError(ValueError):
    """A context value is missing, of the wrong type or out of range; the message names the key."""


@dataclass(frozen=True, kw_only=True)
class Remediation:
    """Which opt-in remediations run for a repository (notify always runs)."""

    lock: bool = False
    reset: bool = False

    def to_json(self) -> dict[str, bool]:
        return {"lock": self.lock, "reset": self.reset}


@dataclass(frozen=True, kw_only=True)
class LeakguardConfig:
    """Validated settings of one leakguard deployment."""

    repositories: tuple[str, ...] | Literal["*"] = "*"
    notification_emails: tuple[str, ...] = ()
    remediations: Mapping[str, Remediation] = field(default_factory=lambda: {"*": Remediation()})
    lock_tag_key: str = "RepoState"
    lock_tag_value: str = "locked"
    architecture: Architecture = "arm64"
    admin_role_arns: tuple[str, ...] = ()
    quarantine_retention_days: int = 90
    report_retention_days: int = 90
    log_retention_days: int = 365
    git_remote_template: str = DEFAULT_GIT_REMOTE_TEMPLATE
    git_layer_arn: str | None = None
    #: Customer-managed KMS keys some watched repositories are encrypted with (CodeCommit calls KMS
    #: with the caller's permissions, so the inspector and reset need them).
    repository_kms_key_arns: tuple[str, ...] = ()
    #: Per repository (or ``*``): ``honour`` developers' in-repository acceptances (audited), or
    #: ``findings`` (treat them as findings).
    acceptance_policy: Mapping[str, str] = field(default_factory=lambda: {"*": "honour"})
    #: When a clean push with content that could not be read gets a low-severity notice.
    skipped_content_notice: Literal["off", "unreadable", "all"] = "unreadable"
    #: How old a warm function's check of the published rules may get (``RULES_REFRESH_SECONDS``).
    rules_refresh_seconds: int = 300

    @property
    def watches_all(self) -> bool:
        return self.repositories == "*"

    def remediation_for(self, repository: str) -> Remediation:
        """A repository's own switches, else the ``*`` entry (as ``REMEDIATIONS`` is read at run time)."""
        return self.remediations.get(repository) or self.remediations.get("*") or Remediation()

    def watched_repositories_json(self) -> str:
        """``WATCHED_REPOSITORIES`` as the contract spells it: a JSON list, ``["*"]`` for all."""
        return json.dumps(["*"] if self.repositories == "*" else list(self.repositories))

    def acceptance_policy_json(self) -> str:
        """``ACCEPTANCE_POLICY`` for the inspector, keys sorted for a stable template."""
        return json.dumps(dict(sorted(self.acceptance_policy.items())), sort_keys=True)

    def remediations_json(self) -> str:
        """``REMEDIATIONS`` as the contract spells it, keys sorted for a stable template."""
        return json.dumps({k: v.to_json() for k, v in sorted(self.remediations.items())}, sort_keys=True)

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> LeakguardConfig:
        """Build from a context getter such as ``app.node.try_get_context``; absent keys take defaults."""
        return cls.from_mapping({k: v for k in CONTEXT_KEYS if (v := get(k)) is not None})

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> LeakguardConfig:
        """Validate a mapping with the context key names (camelCase) and build the config."""
        values: dict[str, Any] = {}
        if "repositories" in raw:
            values["repositories"] = _repositories(_decode(raw["repositories"]))
        if "notificationEmails" in raw:
            values["notification_emails"] = _emails(_decode(raw["notificationEmails"]))
        if "remediations" in raw:
            values["remediations"] = _remediations(_decode(raw["remediations"]))
        for key, attr, pattern in (
            ("lockTagKey", "lock_tag_key", _TAG_KEY),
            ("lockTagValue", "lock_tag_value", _TAG_KEY),
        ):
            if key in raw:
                values[attr] = _matching(key, raw[key], pattern)
        if "architecture" in raw:
            arch = raw["architecture"]
            if arch not in ("arm64", "x86_64"):
                raise ConfigError(f"architecture: must be 'arm64' or 'x86_64', got {arch!r}")
            values["architecture"] = arch
        if "adminRoleArns" in raw:
            arns = _string_list("adminRoleArns", _decode(raw["adminRoleArns"]))
            values["admin_role_arns"] = tuple(admin_principal_arn(a) for a in arns)
        for key, attr in (
            ("quarantineRetentionDays", "quarantine_retention_days"),
            ("reportRetentionDays", "report_retention_days"),
            ("logRetentionDays", "log_retention_days"),
        ):
            if key in raw:
                values[attr] = _days(key, raw[key])
        if values.get("log_retention_days", 365) not in LOG_RETENTION_DAYS:
            raise ConfigError(f"logRetentionDays: must be one of {LOG_RETENTION_DAYS}")
        if "gitRemoteTemplate" in raw:
            template = raw["gitRemoteTemplate"]
            if not isinstance(template, str) or "{repository}" not in template:
                raise ConfigError("gitRemoteTemplate: must be a string containing '{repository}'")
            values["git_remote_template"] = template
        if "gitLayerArn" in raw:
            arn = raw["gitLayerArn"]
            if not isinstance(arn, str) or not arn.startswith("arn:") or ":layer:" not in arn:
                raise ConfigError(f"gitLayerArn: must be a Lambda layer version ARN, got {arn!r}")
            values["git_layer_arn"] = arn
        if "acceptancePolicy" in raw:
            values["acceptance_policy"] = _acceptance_policy(_decode(raw["acceptancePolicy"]))
        if "skippedContentNotice" in raw:
            notice = raw["skippedContentNotice"]
            if notice not in ("off", "unreadable", "all"):
                raise ConfigError(f"skippedContentNotice: must be off, unreadable or all, got {notice!r}")
            values["skipped_content_notice"] = notice
        if "repositoryKmsKeyArns" in raw:
            keys = _string_list("repositoryKmsKeyArns", _decode(raw["repositoryKmsKeyArns"]))
            values["repository_kms_key_arns"] = tuple(
                _matching("repositoryKmsKeyArns", k, _KEY_ARN) for k in keys
            )
        if "rulesRefreshSeconds" in raw:
            values["rules_refresh_seconds"] = _bounded(
                "rulesRefreshSeconds", raw["rulesRefreshSeconds"], 10, 86_400
            )
        config = cls(**values)
        config._check_remediation_targets()
        return config

    def _check_remediation_targets(self) -> None:
        if self.repositories == "*":
            return
        unknown = sorted(set(self.remediations) - {"*", *self.repositories})
        if unknown:
            raise ConfigError(f"remediations: {', '.join(unknown)} not in repositories")
        unknown = sorted(set(self.acceptance_policy) - {"*", *self.repositories})
        if unknown:
            raise ConfigError(f"acceptancePolicy: {', '.join(unknown)} not in repositories")


def admin_principal_arn(value: Any) -> str:
    """An ``adminRoleArns`` entry the lock policy's ``aws:PrincipalArn`` exemption can really match.

    Refuses an STS assumed-role session ARN (``aws:PrincipalArn`` of a session is the role's own ARN,
    so the exemption would never apply; the message names the role ARN to use instead) and patterns
    that would exempt every role or user of the account (``role/*``, ``*``): the lock would lock no one.
    """
    key = "adminRoleArns"
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be strings, got {value!r}")
    session = _ASSUMED_ROLE.fullmatch(value)
    if session:
        role = f"arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
        raise ConfigError(
            f"{key}: {value!r} is an STS assumed-role session ARN, which never equals aws:PrincipalArn; "
            f"use the role's ARN {role!r} instead (with its path if it has one, e.g. "
            "role/aws-reserved/sso.amazonaws.com/... for IAM Identity Center roles)"
        )
    match = _PRINCIPAL_ARN.fullmatch(value)
    if not match:
        raise ConfigError(
            f"{key}: invalid value {value!r}: expected an IAM role or user ARN "
            "(arn:aws:iam::ACCOUNT:role/NAME)"
        )
    resource = match["resource"]
    kind, _, name = resource.partition("/")
    if resource != "root" and (kind not in ("role", "user") or not name):
        raise ConfigError(f"{key}: {value!r} must name a role (role/NAME) or a user (user/NAME)")
    if name and not name.strip("*?/"):
        raise ConfigError(
            f"{key}: {value!r} matches every {kind} of the account, so the lock would exempt everyone; "
            f"name the admin {kind}s (a prefix such as {kind}/security-* is fine)"
        )
    return value


def _decode(value: Any) -> Any:
    """``-c key=value`` arrives as a string: accept JSON there, keep plain strings as they are."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _string_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: must be a list of strings, got {value!r}")
    return value


def _matching(key: str, value: Any, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(f"{key}: invalid value {value!r}")
    return value


def _repositories(value: Any) -> tuple[str, ...] | Literal["*"]:
    if value == "*" or value == ["*"]:
        return "*"
    names = _string_list("repositories", value)
    if not names:
        raise ConfigError('repositories: must name at least one repository, or be "*"')
    for name in names:
        _matching("repositories", name, _REPO_NAME)
    if len(set(names)) != len(names):
        raise ConfigError("repositories: duplicate names")
    return tuple(names)


def _emails(value: Any) -> tuple[str, ...]:
    return tuple(
        _matching("notificationEmails", e, _EMAIL) for e in _string_list("notificationEmails", value)
    )


def _remediations(value: Any) -> dict[str, Remediation]:
    if not isinstance(value, dict):
        raise ConfigError(
            'remediations: must be an object {"<repository or *>": {"lock": bool, "reset": bool}}'
        )
    result: dict[str, Remediation] = {}
    for repo, switches in value.items():
        if repo != "*":
            _matching("remediations", repo, _REPO_NAME)
        if not isinstance(switches, dict) or set(switches) - {"lock", "reset"}:
            raise ConfigError(f"remediations.{repo}: only 'lock' and 'reset' may be set, got {switches!r}")
        if not all(isinstance(v, bool) for v in switches.values()):
            raise ConfigError(f"remediations.{repo}: 'lock' and 'reset' must be true or false")
        result[repo] = Remediation(**switches)
    result.setdefault("*", Remediation())
    return result


def _days(key: str, value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3653:
        raise ConfigError(f"{key}: must be a whole number of days between 1 and 3653, got {value!r}")
    return value


def _bounded(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: must be a whole number between {low} and {high}, got {value!r}")
    return value


def _acceptance_policy(value: Any) -> dict[str, str]:
    """``"findings"`` (every repository) or ``{"<repository or *>": "honour" | "findings"}``."""
    if isinstance(value, str):
        value = {"*": value}
    if not isinstance(value, dict):
        raise ConfigError('acceptancePolicy: must be "honour", "findings" or {"<repository or *>": ...}')
    result: dict[str, str] = {}
    for repo, policy in value.items():
        if repo != "*":
            _matching("acceptancePolicy", repo, _REPO_NAME)
        if policy not in ACCEPTANCE_POLICIES:
            raise ConfigError(
                f"acceptancePolicy.{repo}: must be one of {ACCEPTANCE_POLICIES}, got {policy!r}"
            )
        result[repo] = policy
    result.setdefault("*", "honour")
    return result
