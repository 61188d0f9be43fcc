"""SARIF as GitHub code scanning ingests it: each property GitHub requires or reads, one test each.

Findings come from the engine (the path production runs); the validator itself runs in
``make sarif-check`` over real scans.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from pathlib import Path

import pytest

from leakguard import ADMIN_GUIDE_URL, PROJECT_URL
from leakguard.detect.candidate import Candidate, region_end
from leakguard.detect.engine import Detector
from leakguard.findings import Finding
from leakguard.report.sarif import FINGERPRINT_KEY, path_uri, render_sarif
from leakguard.report.sarif_rules import SECURITY_SEVERITY, friendly_name, level
from leakguard.rules import parse_rules
from leakguard.rules.model import SEVERITIES
from leakguard.scan import ScanReport, run_scan
from leakguard.sources.base import SOURCE_COMMIT_MESSAGE, SOURCE_PATH, SOURCE_TAG_MESSAGE, Fragment
from tests.conftest import fake_aws_key, fake_github_token

ROOT = Path(__file__).resolve().parents[2]
#: GitHub's security-severity bands: (lowest, highest) score of each level.
GITHUB_BANDS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}


def sarif_of(rules, *fragments, root=None, plugins=False):
    report = run_scan(Detector(rules, plugins=plugins), iter(fragments))
    return json.loads(render_sarif(report, rules, root=root)), report


def only_run(log):
    [run] = log["runs"]
    return run


def test_every_rule_has_full_description_and_help_in_text_and_markdown(small_rules, rng):
    log, _ = sarif_of(
        small_rules,
        Fragment(path="a.py", lines=[(1, f"k = '{fake_aws_key(rng)}'"), (2, "secret = 'Zq8Xr2Lm9Kt4Wp7N'")]),
    )
    rules = only_run(log)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["aws-access-key-id", "generic-secret"]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"].startswith(rule["shortDescription"]["text"])
        for form in ("text", "markdown"):
            help_ = rule["help"][form]
            assert "Rotate it at its issuer" in help_ and "Deleting it from git is not enough" in help_
            assert "leakguard:allow <reason>" in help_ and "leakguard scan --write-ignore" in help_
            assert ".leakguardignore" in help_ and "false-positive" in help_.lower()
        assert rule["helpUri"] == f"{ADMIN_GUIDE_URL}#false-positive-faq"
        assert rule["name"][0].isupper() and "-" not in rule["name"]
    monitor = rules[1]
    assert (
        "monitor mode" in monitor["fullDescription"]["text"]
        and "mode **monitor**" in monitor["help"]["markdown"]
    )


def test_security_severity_is_a_number_in_githubs_band_for_each_severity():
    for severity in SEVERITIES:
        score = float(SECURITY_SEVERITY[severity])  # a string GitHub parses as a number
        low, high = GITHUB_BANDS[severity]
        assert low <= score <= high, (severity, score)
    raw = {
        "version": 1,
        "rules": [
            {
                "id": f"token-{severity}",
                "description": f"{severity} token",
                "regex": rf"\b(?P<secret>{severity[:3]}_[A-Za-z0-9]{{24}})\b",
                "keywords": [f"{severity[:3]}_"],
                "severity": severity,
                "examples": {"match": [f"{severity[:3]}_Ab3dE5fG7hJ9kL1mN3pQ5rS7"], "nomatch": ["x"]},
            }
            for severity in SEVERITIES
        ],
    }
    rules = parse_rules(raw)
    lines = [(n, f"t = '{s[:3]}_{'Ab3dE5fG7hJ9kL1mN3pQ5rS7'}'") for n, s in enumerate(SEVERITIES, 1)]
    log, _ = sarif_of(rules, Fragment(path="t.py", lines=lines))
    by_id = {r["id"]: r["properties"] for r in only_run(log)["tool"]["driver"]["rules"]}
    assert {i: p["security-severity"] for i, p in by_id.items()} == {
        f"token-{s}": SECURITY_SEVERITY[s] for s in SEVERITIES
    }
    assert all(p["tags"][0] == "security" for p in by_id.values())  # GitHub reads the score of security rules


def test_region_spans_the_secret_with_end_line_and_end_column(small_rules, rng):
    token = fake_github_token(rng)
    line = f"    value = '{token}'  # trailing words"
    log, _ = sarif_of(small_rules, Fragment(path="a.py", lines=[(7, "x = 1"), (8, line)]))
    [result] = only_run(log)["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    start = line.index(token) + 1
    assert region == {
        "startLine": 8,
        "startColumn": start,
        "endLine": 8,
        "endColumn": start + len(token),  # SARIF's endColumn is just past the last character
    }


def test_a_private_key_region_ends_on_its_end_line(small_rules):
    body = base64.b64encode(bytes(range(48))).decode()
    lines = ["x = 1", "-----BEGIN RSA PRIVATE KEY-----", body, body, "-----END RSA PRIVATE KEY-----", "y"]
    log, _ = sarif_of(small_rules, Fragment(path="k.pem", lines=list(enumerate(lines, 1))))
    [result] = only_run(log)["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (2, 1)
    assert (region["endLine"], region["endColumn"]) == (5, len("-----END RSA PRIVATE KEY-----") + 1)


def test_a_decoded_secret_is_spanned_to_the_end_of_its_line():
    # The secret's text is not at its column (it was base64 inside the line): no guessed end.
    line = "data: " + base64.b64encode(b"token = 'ghp_...'").decode()
    candidate = Candidate("r", "d", "high", "enforce", "rule:decoded", 0, 0, 6, "ghp_" + "a" * 36)
    assert region_end(candidate, [(3, line)]) == (3, len(line) + 1)
    exact = Candidate("r", "d", "high", "enforce", "rule", 0, 0, 2, "cdef")
    assert region_end(exact, [(3, "abcdefgh")]) == (3, 7)


@pytest.mark.parametrize(
    ("severity", "mode", "expected"),
    [
        ("critical", "enforce", "error"),
        ("high", "enforce", "error"),
        ("medium", "enforce", "warning"),
        ("low", "enforce", "note"),
        ("critical", "monitor", "warning"),
        ("high", "monitor", "warning"),
        ("medium", "monitor", "note"),
        ("low", "monitor", "note"),
    ],
)
def test_levels_follow_severity_and_a_monitor_rule_is_never_an_error(severity, mode, expected):
    assert level(severity, mode) == expected


def test_monitor_findings_are_warnings_or_notes_in_results_and_rules(small_rules):
    log, report = sarif_of(small_rules, Fragment(path="a.py", lines=[(1, "secret = 'Zq8Xr2Lm9Kt4Wp7N'")]))
    assert [f.mode for f in report.findings] == ["monitor"]
    run = only_run(log)
    [result] = run["results"]
    assert result["level"] == "note" and "monitor" in result["message"]["text"]
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == "note"


def test_uris_are_relative_to_the_declared_source_root(small_rules, rng, tmp_path):
    fragment = Fragment(path="conf dir/app#1.py", lines=[(1, f"k = '{fake_aws_key(rng)}'")])
    log, _ = sarif_of(small_rules, fragment, root=tmp_path)
    run = only_run(log)
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "conf%20dir/app%231.py", "uriBaseId": "SRCROOT"}
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base == tmp_path.resolve().as_uri() + "/" and base.startswith("file:///")
    # Without a root (standard input): still relative, nothing declared.
    log, _ = sarif_of(small_rules, fragment)
    assert "originalUriBaseIds" not in only_run(log)
    assert (
        "uriBaseId" not in only_run(log)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    )


def test_path_uri_encodes_what_a_uri_cannot_hold():
    assert path_uri("src/app.py") == "src/app.py"
    assert path_uri("a b/100%/x?.py") == "a%20b/100%25/x%3F.py"
    assert path_uri("keys/AKIA********.pem") == "keys/AKIA********.pem"
    assert path_uri("caf\udce9.txt") == "caf%E9.txt"  # a non-UTF-8 byte, kept by surrogateescape


def test_every_result_has_a_physical_location_even_for_messages_and_file_names(small_rules, rng):
    commit, name = "c" * 40, f"keys/{fake_aws_key(rng)}.pem"
    fragments = [
        Fragment(
            path="",
            lines=[(1, "subject"), (3, f"use {fake_github_token(rng)}")],
            commit=commit,
            source=SOURCE_COMMIT_MESSAGE,
        ),
        Fragment(
            path="v1.0", lines=[(1, f"tag {fake_aws_key(rng)}")], commit="d" * 40, source=SOURCE_TAG_MESSAGE
        ),
        Fragment(path=name, lines=[(0, name)], commit=commit, source=SOURCE_PATH),
    ]
    log, report = sarif_of(small_rules, *fragments)
    assert len(report.findings) == 3
    locations = {r["properties"]["source"]: r["locations"][0] for r in only_run(log)["results"]}
    for location in locations.values():  # GitHub rejects the whole upload otherwise
        assert location["physicalLocation"]["artifactLocation"]["uri"]
    message = locations["commit-message"]
    assert message["physicalLocation"]["artifactLocation"]["uri"] == "COMMIT_MSG"
    assert message["physicalLocation"]["region"]["startLine"] == 3
    assert message["logicalLocations"] == [{"name": commit, "kind": "commit-message"}]
    assert locations["tag-message"]["physicalLocation"]["artifactLocation"]["uri"] == "TAG_MSG"
    assert locations["tag-message"]["logicalLocations"][0]["name"] == "d" * 40
    name = locations["path"]["physicalLocation"]
    assert "region" not in name and name["artifactLocation"]["uri"].startswith("keys/AKIA****")


def test_partial_fingerprints_are_the_stable_fingerprint_and_survive_a_line_move(small_rules, rng):
    key = fake_aws_key(rng)
    first, report = sarif_of(small_rules, Fragment(path="a.py", lines=[(1, f"k = '{key}'")]))
    moved, _ = sarif_of(small_rules, Fragment(path="a.py", lines=[(1, "import os"), (9, f"k = '{key}'")]))
    [a], [b] = only_run(first)["results"], only_run(moved)["results"]
    assert a["partialFingerprints"] == {FINGERPRINT_KEY: report.findings[0].fingerprint}
    assert a["partialFingerprints"] == b["partialFingerprints"]
    assert a["locations"] != b["locations"]


def test_information_uri_is_the_projects_own_url():
    log = json.loads(render_sarif(ScanReport(), parse_rules({"version": 1, "rules": []})))
    driver = only_run(log)["tool"]["driver"]
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert driver["informationUri"] == PROJECT_URL == urls["Homepage"]
    assert urls["Documentation"] == ADMIN_GUIDE_URL and ADMIN_GUIDE_URL.startswith(PROJECT_URL + "/")
    assert "leakguard.example" not in PROJECT_URL and driver["version"] == driver["semanticVersion"]


def test_rule_text_from_the_rules_file_is_escaped_in_markdown():
    finding = Finding(
        rule_id="secret-keyword",
        description="<img src=x> *bold* [link](http://x)",
        severity="low",
        mode="enforce",
        path="a",
        line=1,
        column=1,
        redacted="********",
        fingerprint="0" * 32,
        entropy=1.0,
        detector="plugin",
    )
    report = ScanReport(findings=[finding])
    [rule] = only_run(json.loads(render_sarif(report, parse_rules({"version": 1, "rules": []}))))["tool"][
        "driver"
    ]["rules"]
    markdown = rule["help"]["markdown"]
    first_line = markdown.splitlines()[0]
    shown = first_line[2 : first_line.index("** (`secret-keyword`)")]
    assert re.search(r"(?<!\\)[<>\[\]*]", shown) is None, shown
    assert "\\<img src=x\\>" in markdown and "\\[link\\]" in markdown
    assert "keyword plugin" in rule["help"]["text"] and rule["properties"]["security-severity"] == "3.0"


def test_friendly_names():
    assert friendly_name("aws-access-key-id") == "AwsAccessKeyId"
    assert friendly_name("high-entropy-base64") == "HighEntropyBase64"


def test_an_accepted_finding_is_a_result_with_a_suppression_not_a_silent_gap(small_rules, rng):
    key = fake_aws_key(rng)
    line = f'EXAMPLE = "{key}"  # leakguard:allow documentation example'
    log, report = sarif_of(small_rules, Fragment(path="docs.py", lines=[(1, line)]))
    assert report.findings == [] and len(report.accepted) == 1
    [result] = only_run(log)["results"]
    assert result["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "documentation example"}
    ]
    rules = only_run(log)["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert key not in json.dumps(log)
