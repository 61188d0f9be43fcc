"""A rules file that extends the built-in set: add rules, override a built-in by its id, disable by id.

A team with one internal token format should not have to fork 150 rules to add it, nor lose every
improvement of the bundled set when leakguard is upgraded. So a file may say::

    {"version": 1, "extends": "builtin", "disable": ["generic-password"], "rules": [ ... ]}

and means: the bundled ``rules/regex.json`` (of the leakguard that loads it), without the disabled
rules, with each rule of this file replacing the built-in rule of the same id in place, and the other
rules of this file appended. The global ``allowlist`` lists are appended to the built-in ones; a
``detectors`` entry overrides the built-in settings of that detector key by key.

A file without ``extends`` means what it always meant: exactly its own rules, nothing built in.

The merge works on the raw JSON, before validation, so the merged document goes through the same
schema, RE2 compilation and examples as any other rules file (the CLI's ``--rules``, ``rules lint``,
``rules test``, ``rules publish`` and the deployed functions all call :func:`resolve`).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError, RuleError

BUILTIN = "builtin"
_ALLOWLIST_LISTS = ("paths", "regexes", "stopwords")


def extends_builtin(raw: Any) -> bool:
    """True when ``raw`` (parsed JSON) is a file extending the built-in set."""
    return isinstance(raw, dict) and "extends" in raw


def resolve(raw: Any, *, builtin: Path | None = None) -> Any:
    """The document ``raw`` stands for: itself, or the built-in set merged with it when it extends it.

    ``raw`` must already have passed the schema (so ``extends``, ``disable`` and the rules are well
    formed). Raises :class:`RuleError` naming the field for what only the merge can see: a disabled id
    that is not built in, a rule both overridden and disabled.
    """
    if not extends_builtin(raw):
        return raw
    base = _builtin_document(str(builtin) if builtin is not None else None)
    known = {rule["id"] for rule in base["rules"]}
    disabled = list(raw.get("disable", []))
    for index, rule_id in enumerate(disabled):
        if rule_id not in known:
            raise RuleError(None, f"disable[{index}]", f"{rule_id!r} is not a rule of the built-in set")
    own = {entry["id"]: entry for entry in raw["rules"]}
    clash = sorted(set(own) & set(disabled))
    if clash:
        raise RuleError(clash[0], "id", "is both disabled and overridden; keep one of the two")
    base = copy.deepcopy(base)  # the cached built-in document is shared
    rules = [own.get(entry["id"], entry) for entry in base["rules"] if entry["id"] not in set(disabled)]
    rules += [entry for entry in raw["rules"] if entry["id"] not in known]
    merged: dict[str, Any] = {"version": raw["version"], "rules": rules}
    allowlist = _merge_allowlist(base.get("allowlist", {}), raw.get("allowlist", {}))
    if allowlist:
        merged["allowlist"] = allowlist
    detectors = {
        name: {**base.get("detectors", {}).get(name, {}), **raw.get("detectors", {}).get(name, {})}
        for name in {*base.get("detectors", {}), *raw.get("detectors", {})}
    }
    if detectors:
        merged["detectors"] = detectors
    return merged


def _merge_allowlist(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in base.items() if k not in _ALLOWLIST_LISTS}
    for key in _ALLOWLIST_LISTS:
        values = list(dict.fromkeys([*base.get(key, []), *extra.get(key, [])]))
        if values:
            merged[key] = values
    return merged


@lru_cache(maxsize=4)
def _builtin_document(path: str | None) -> dict[str, Any]:
    """The built-in set's raw JSON (cached: the deployed functions resolve on every refresh)."""
    from leakguard.rules.loader import default_rules_path

    source = Path(path) if path is not None else default_rules_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the built-in rules {source}: {exc}") from exc
    if not isinstance(raw, dict) or extends_builtin(raw) or not isinstance(raw.get("rules"), list):
        raise ConfigError(f"the built-in rules {source} must be a complete rules file (no 'extends')")
    return raw
