"""The one verdict on a rules document: everything ``rules lint`` and ``rules test`` check, together.

``leakguard rules publish`` refuses to upload what fails it, the deployed functions refuse to activate
what fails it (keeping their last good rules), and ``cdk synth`` refuses to build a stack around a
bundled ``rules/regex.json`` that fails it: one function, so the three can never disagree on what a
valid rules file is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError, RuleError, RulesRejectedError
from leakguard.rules.loader import parse_rules
from leakguard.rules.model import RuleSet
from leakguard.rules.selftest import lint_document, run_examples


@dataclass(frozen=True)
class RulesVerdict:
    """The outcome of :func:`check_document`: a compiled rule set, or every problem found."""

    source: str
    ruleset: RuleSet | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the document may be activated."""
        return self.ruleset is not None and not self.problems

    def accepted(self) -> RuleSet:
        """The rule set; :class:`RulesRejectedError` (every problem) when the document failed."""
        if self.ruleset is None or self.problems:
            raise RulesRejectedError(self.source, list(self.problems))
        return self.ruleset


def check_document(raw: Any, *, source: str, builtin: Path | None = None) -> RulesVerdict:
    """Schema, RE2 compilation of every pattern, lint, then every rule's examples, in that order.

    The legacy list format is refused here (it still loads for ``--rules``): it carries no examples, so
    nothing would prove it finds what it should before it replaces the deployed rules.
    """
    if isinstance(raw, list):
        return RulesVerdict(
            source,
            None,
            ("the legacy rules format (a list of [name, regex] pairs) has no examples; convert it",),
        )
    problems = [str(problem) for problem in lint_document(raw, source=source, builtin=builtin)]
    if problems:
        return RulesVerdict(source, None, tuple(problems))
    try:
        ruleset = parse_rules(raw, source=source, builtin=builtin)
    except RuleError as exc:
        return RulesVerdict(source, None, (str(exc),))
    failures = tuple(str(failure) for failure in run_examples(ruleset))
    return RulesVerdict(source, None if failures else ruleset, failures)


def check_text(text: str | bytes, *, source: str, builtin: Path | None = None) -> RulesVerdict:
    """:func:`check_document` of a rules file's content (an S3 object's body, a file's text)."""
    from leakguard.aws.rules_object import MAX_RULES_BYTES

    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_RULES_BYTES:
        return RulesVerdict(source, None, (f"is {size} bytes, more than the {MAX_RULES_BYTES} allowed",))
    try:
        raw = json.loads(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return RulesVerdict(source, None, (f"not valid JSON: {_json_reason(exc)}",))
    return check_document(raw, source=source, builtin=builtin)


def check_file(path: str | Path) -> RulesVerdict:
    """:func:`check_text` of a file; :class:`ConfigError` when it cannot be read."""
    source = Path(path)
    try:
        text = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {source}: {exc.strerror or exc}") from exc
    return check_text(text, source=str(source))


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    return "not UTF-8 text"
