"""``leakguard rules list``: the ids ``scan --enable-rule``/``--disable-rule`` take, and what each finds.

A mistyped id is refused by ``scan`` with a pointer here, so the list includes the ids of the
detect-secrets plugin families, which are selectable like rules.
"""

from __future__ import annotations

import argparse

from leakguard.commands.selection import PLUGIN_IDS
from leakguard.report.display import printable


def add_list_parser(rules_commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``rules list``."""
    parser = rules_commands.add_parser("list", help="every rule id with its severity, mode and description")
    parser.add_argument("--rules", help="rules file (default: the bundled rules/regex.json)")


def run_list(args: argparse.Namespace) -> int:
    """Print one line per rule and plugin family: id, severity, mode, description."""
    from leakguard.rules import load_rules

    ruleset = load_rules(args.rules)
    rows = [(r.id, r.severity, r.mode, printable(r.description)) for r in ruleset.rules]
    plugins = {
        "high-entropy-base64": ruleset.high_entropy,
        "high-entropy-hex": ruleset.high_entropy,
        "secret-keyword": ruleset.keyword,
    }
    for plugin_id in PLUGIN_IDS:
        settings = plugins[plugin_id]
        state = "" if settings.enabled else ", disabled in this rules file"
        rows.append((plugin_id, settings.severity, settings.mode, f"detect-secrets plugin{state}"))
    width = max(len(row[0]) for row in rows)
    for rule_id, severity, mode, description in rows:
        print(f"{rule_id:{width}}  {severity:8}  {mode:7}  {description}")
    print(f"{len(ruleset.rules)} rules, {len(PLUGIN_IDS)} plugin families")
    return 0
