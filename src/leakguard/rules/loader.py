"""Two-step loading of the rules file: raw JSON → schema-validated → compiled :class:`RuleSet`.

Every mistake is reported as a :class:`~leakguard.errors.RuleError` that names the rule and the field,
because the people editing ``rules/regex.json`` are security engineers, not the authors of this code.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import re2

from leakguard import __version__
from leakguard.errors import ConfigError, RuleError
from leakguard.rules.extends import extends_builtin, resolve
from leakguard.rules.model import EXAMPLE_PATH, Allowlist, DetectorSettings, Rule, RuleSet, re2_options
from leakguard.rules.validated import ValidatedRules, digest

logger = logging.getLogger(__name__)

_REPO_RULES_DIR = Path(__file__).resolve().parents[3] / "rules"


def _bundled(name: str) -> Path:
    """A file of the default rules: the source checkout's rules/ first, else the wheel's copy."""
    checkout = _REPO_RULES_DIR / name
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("leakguard") / "_data" / name))


def default_rules_path() -> Path:
    """Where the bundled ``regex.json`` lives."""
    return _bundled("regex.json")


@lru_cache(maxsize=1)
def rules_schema() -> dict[str, Any]:
    """The JSON schema of the rules file (``rules/regex.schema.json``)."""
    return json.loads(_bundled("regex.schema.json").read_text(encoding="utf-8"))


def load_rules(path: str | Path | None = None, *, validated: ValidatedRules | None = None) -> RuleSet:
    """Load, validate and compile a rules file; the bundled default when ``path`` is None.

    ``validated`` remembers documents that passed schema validation (see
    :mod:`leakguard.rules.validated`): an identical document is not validated again.

    Raises
    ------
    ConfigError
        The file cannot be read or is not JSON.
    RuleError
        A rule (or the file's top level) is invalid; the message names the rule and the field.
    """
    source = Path(path) if path is not None else default_rules_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {source}: {exc.strerror or exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"rules file {source} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return parse_rules(raw, source=str(source), validated=validated)


def parse_rules(
    raw: Any,
    *,
    source: str = "<memory>",
    builtin: Path | None = None,
    validated: ValidatedRules | None = None,
) -> RuleSet:
    """Validate and compile already-parsed rules JSON (the current format or the legacy list).

    A file that ``extends`` the built-in set is validated as written, then merged with the built-in
    rules (``builtin``: the bundled ``rules/regex.json`` by default) and the result validated again.
    """
    if isinstance(raw, list):
        return _parse_legacy(raw, source)
    _validate(raw, validated)
    if extends_builtin(raw):
        raw = resolve(raw, builtin=builtin)
        _validate(raw, validated)
    rules = tuple(_compile_rule(entry) for entry in raw["rules"])
    _reject_duplicate_ids(rules)
    detectors = raw.get("detectors", {})
    return RuleSet(
        rules=rules,
        allowlist=_compile_allowlist(
            raw.get("allowlist", {}), rule_id=None, field="allowlist", camel_case=True
        ),
        high_entropy=DetectorSettings(**detectors.get("high-entropy", {})),
        keyword=DetectorSettings(**detectors.get("keyword", {})),
        source=source,
    )


def _validate(raw: Any, validated: ValidatedRules | None = None) -> None:
    key = digest(raw, rules_schema(), __version__) if validated is not None else ""
    if validated is not None and validated.seen(key):
        return
    import jsonschema  # here, not at the top: an already validated document never needs it

    validator = jsonschema.Draft202012Validator(rules_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(raw))
    if error is None:
        if validated is not None:
            validated.remember(key)
        return
    location = list(error.absolute_path)
    rule_id = None
    if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
        entry = raw["rules"][location[1]]
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        rule_id = rule_id or f"#{location[1]}"
        location = location[2:]
    field = ".".join(str(part) for part in location) or "<top level>"
    raise RuleError(rule_id, field, error.message)


def compile_regex(pattern: str, *, rule_id: str | None, field: str) -> Any:
    """Compile ``pattern`` on RE2, refusing what RE2 cannot run and what matches the empty string."""
    try:
        compiled = re2.compile(pattern, re2_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RuleError(rule_id, field, f"does not compile on RE2 (linear-time regex): {reason}") from exc
    if compiled.search("") is not None:
        raise RuleError(rule_id, field, "matches the empty string, so it would flag every line")
    return compiled


def _compile_rule(entry: dict[str, Any]) -> Rule:
    rule_id = entry["id"]
    regex = compile_regex(entry["regex"], rule_id=rule_id, field="regex")
    if "secret" in regex.groupindex:
        secret_group = regex.groupindex["secret"]
    elif regex.groups >= 1:
        secret_group = 1
    else:
        raise RuleError(rule_id, "regex", "needs a capture group for the secret, e.g. (?P<secret>...)")
    examples = entry["examples"]
    return Rule(
        id=rule_id,
        description=entry["description"],
        pattern=entry["regex"],
        regex=regex,
        secret_group=secret_group,
        keywords=tuple(dict.fromkeys(entry["keywords"])),
        severity=entry["severity"],
        mode=entry.get("mode", "enforce"),
        entropy=entry.get("entropy"),
        multiline=entry.get("multiline", False),
        keywordless=entry.get("keywordless", False),
        allowlist=_compile_allowlist(entry.get("allowlist", {}), rule_id=rule_id, field="allowlist"),
        examples_match=tuple(examples["match"]),
        examples_nomatch=tuple(examples["nomatch"]),
        tags=tuple(entry.get("tags", ())),
        paths=tuple(
            compile_regex(path, rule_id=rule_id, field=f"paths[{i}]")
            for i, path in enumerate(entry.get("paths", []))
        ),
        example_path=examples.get("path", EXAMPLE_PATH),
    )


def _compile_allowlist(
    raw: dict[str, Any], *, rule_id: str | None, field: str, camel_case: bool = False
) -> Allowlist:
    return Allowlist(
        camel_case_stopwords=camel_case,
        paths=tuple(
            compile_regex(p, rule_id=rule_id, field=f"{field}.paths[{i}]")
            for i, p in enumerate(raw.get("paths", []))
        ),
        regexes=tuple(
            compile_regex(p, rule_id=rule_id, field=f"{field}.regexes[{i}]")
            for i, p in enumerate(raw.get("regexes", []))
        ),
        stopwords=tuple(word.lower() for word in raw.get("stopwords", [])),
        names=tuple(
            compile_regex(p, rule_id=rule_id, field=f"{field}.names[{i}]")
            for i, p in enumerate(raw.get("names", []))
        ),
    )


def _reject_duplicate_ids(rules: tuple[Rule, ...]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(rule.id, "id", "is used by more than one rule")
        seen.add(rule.id)


def _parse_legacy(raw: list[Any], source: str) -> RuleSet:
    """The original sample's format: a list of ``[name, regex]`` pairs, whole match as the secret."""
    message = (
        f"{source}: the legacy rules format (a list of [name, regex] pairs) is deprecated; "
        "convert it to the object format described in rules/regex.schema.json"
    )
    warnings.warn(message, DeprecationWarning, stacklevel=3)
    logger.warning(message)
    rules = []
    for index, pair in enumerate(raw):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p for p in pair)):
            raise RuleError(
                f"#{index}", "<entry>", "a legacy rule must be a [name, regex] pair of non-empty strings"
            )
        name, pattern = pair
        rule_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or f"legacy-{index}"
        rules.append(
            Rule(
                id=rule_id,
                description=name,
                pattern=pattern,
                regex=compile_regex(pattern, rule_id=rule_id, field="regex"),
                secret_group=0,
                keywords=(),
                severity="high",
            )
        )
    result = tuple(rules)
    _reject_duplicate_ids(result)
    return RuleSet(rules=result, source=source)
