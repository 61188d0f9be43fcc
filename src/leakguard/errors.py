"""Every error leakguard raises on purpose derives from :class:`LeakguardError`.

Each carries structured fields so callers (CLI, handlers) can print a one-line message and log the
fields without parsing strings. No error message ever contains a secret.
"""

from __future__ import annotations


class LeakguardError(Exception):
    """Base class of leakguard's errors."""


class ConfigError(LeakguardError):
    """A configuration value (CLI flag, setting, file path) is missing or invalid."""


class RuleError(ConfigError):
    """A rule in the rules file is invalid; names the rule and the field at fault."""

    def __init__(self, rule_id: str | None, field: str, reason: str) -> None:
        self.rule_id = rule_id
        self.field = field
        self.reason = reason
        where = f"rule {rule_id!r}" if rule_id else "rules file"
        super().__init__(f"{where}: field {field!r}: {reason}")


class GitError(LeakguardError):
    """A git command failed; carries the git sub-command and its (credential-free) stderr."""

    def __init__(self, command: str, returncode: int | None, stderr: str) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"git {command} failed ({returncode}): {self.stderr[:500]}")


class RefNameError(LeakguardError):
    """A ref name is not one git would accept; refused before it reaches any command."""


class EventError(LeakguardError):
    """An incoming event is malformed or not one leakguard handles."""


class RulesRejectedError(ConfigError):
    """A rules document failed validation (schema, RE2, examples) and must not be activated.

    ``problems`` holds every problem found, each naming the rule and the field; none holds a secret
    (rules and their examples are the security team's own, generated or placeholder values).
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"rules {source} refused: {problems[0] if problems else 'invalid'}{more}")
