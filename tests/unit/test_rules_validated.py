"""A rules document that passed schema validation once is not validated again (CLI start-up)."""

import json

import pytest

from leakguard.errors import RuleError
from leakguard.rules import loader
from leakguard.rules.loader import load_rules
from leakguard.rules.validated import MarkDirectory


def test_an_identical_document_skips_the_validator(tmp_path, monkeypatch):
    marks = MarkDirectory(tmp_path / "marks")
    first = load_rules(validated=marks)
    assert len(list((tmp_path / "marks").iterdir())) == 1

    def no_validator(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr("jsonschema.Draft202012Validator", no_validator)
    assert [r.id for r in load_rules(validated=marks).rules] == [r.id for r in first.rules]


def test_a_changed_document_is_validated_again(tmp_path):
    marks = MarkDirectory(tmp_path / "marks")
    raw = json.loads(loader.default_rules_path().read_text())
    load_rules(validated=marks)
    raw["rules"][0]["severity"] = "apocalyptic"
    broken = tmp_path / "rules.json"
    broken.write_text(json.dumps(raw))
    with pytest.raises(RuleError, match="severity"):
        load_rules(broken, validated=marks)


def test_an_unwritable_cache_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert load_rules(validated=MarkDirectory(blocker / "marks")).rules
