"""The one verdict ``rules publish``, the deployed functions and ``cdk synth`` share."""

import json

import pytest

from leakguard.errors import RulesRejectedError
from leakguard.rules.check import check_document, check_file, check_text
from tests.conftest import FIXTURES

GOOD = json.loads((FIXTURES / "rules.json").read_text())


def _bad(mutate):
    raw = json.loads(json.dumps(GOOD))
    mutate(raw)
    return raw


def test_a_good_document_is_accepted_compiled():
    verdict = check_document(GOOD, source="good.json")
    assert verdict.ok and verdict.problems == ()
    assert [r.id for r in verdict.accepted().rules][:2] == ["aws-access-key-id", "github-pat"]


@pytest.mark.parametrize(
    ("mutate", "first_problem"),
    [
        (lambda r: r["rules"][1].update(severity="urgent"), "rule 'github-pat': field 'severity'"),
        (
            lambda r: r["rules"][0].update(regex="(?=AKIA)(?P<secret>AKIA[A-Z]{16})"),
            "rule 'aws-access-key-id': field 'regex': does not compile on RE2",
        ),
        (
            lambda r: r["rules"][0]["examples"]["nomatch"].append("k = 'AKIAQWERTYUIOPASDFGH'"),
            "rule 'aws-access-key-id': nomatch example #3 should not match but does",
        ),
        (
            lambda r: r["allowlist"].update(regexes=["(?<=x)y"]),
            "rules file: field 'allowlist.regexes[0]': does not compile on RE2",
        ),
    ],
)
def test_schema_re2_and_examples_each_refuse_the_document(mutate, first_problem):
    verdict = check_document(_bad(mutate), source="bad.json")
    assert not verdict.ok and verdict.ruleset is None
    assert verdict.problems[0].startswith(first_problem)
    with pytest.raises(RulesRejectedError, match=r"^rules bad\.json refused: ") as error:
        verdict.accepted()
    assert error.value.problems == list(verdict.problems)


def test_every_problem_is_reported_and_the_message_counts_the_rest():
    def two(raw):
        raw["rules"][0]["severity"] = "urgent"
        raw["rules"][1]["mode"] = "block"

    verdict = check_document(_bad(two), source="bad.json")
    assert len(verdict.problems) == 2
    with pytest.raises(RulesRejectedError, match=r"\(and 1 more\)$"):
        verdict.accepted()


def test_not_json_not_utf8_and_the_legacy_format_are_refused(tmp_path):
    assert check_text(b'{"version": 1,\n "rules": [}', source="s3").problems == (
        "not valid JSON: line 2 column 12: Expecting value",
    )
    assert check_text(b"\xff\xfe", source="s3").problems == ("not valid JSON: not UTF-8 text",)
    legacy = check_text(json.dumps([["AWS", "AKIA[A-Z0-9]{16}"]]), source="old.json")
    assert not legacy.ok and "legacy rules format" in legacy.problems[0]


def test_an_extending_file_is_checked_merged_with_the_bundled_rules():
    verdict = check_file(FIXTURES / "rules-extends.json")
    assert verdict.ok
    assert verdict.accepted().rules[-1].id == "acme-internal-token"


def test_an_oversized_document_is_refused_before_parsing():
    from leakguard.aws.rules_object import MAX_RULES_BYTES

    verdict = check_text(b"[" + b" " * MAX_RULES_BYTES + b"]", source="big.json")
    assert not verdict.ok and "more than the" in verdict.problems[0]
