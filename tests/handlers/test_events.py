"""The event contracts: malformed input is refused with a clear reason, before git or AWS are touched."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from leakguard.errors import ConfigError, EventError
from leakguard.events.codecommit import parse_codecommit_event
from leakguard.events.security import incident_id, parse_security_event, security_event_schema
from leakguard.remediate.email import email_subject
from leakguard.settings import InspectorSettings, LockSettings
from tests.conftest import fake_aws_key
from tests.handlers.conftest import LambdaContext, codecommit_event

SHA = "a" * 40


def _event(**detail):
    event = codecommit_event("app", "refs/heads/main", old=None, new=SHA)
    event["detail"].update(detail)
    return event


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        (
            {"referenceName": "main; rm -rf ~", "referenceFullName": "refs/heads/main; rm -rf ~"},
            "invalid ref name",
        ),
        (
            {"referenceName": "--upload-pack=touch", "referenceFullName": "refs/heads/--upload-pack=touch"},
            "'-'",
        ),
        ({"referenceName": "a..b", "referenceFullName": "refs/heads/a..b"}, "invalid ref name"),
        ({"referenceFullName": "refs/heads/other"}, "does not match"),
        ({"commitId": "HEAD"}, "invalid commit id"),
        ({"commitId": f"{SHA} --all"}, "invalid commit id"),
        ({"repositoryName": "../../etc"}, "invalid repository name"),
        ({"event": "referenceUpdated"}, "without oldCommitId"),
        ({"event": "somethingElse"}, "detail.event"),
        ({"referenceType": "note"}, "detail.referenceType"),
    ],
)
def test_malformed_codecommit_events_are_refused_with_the_field_named(detail, message):
    with pytest.raises(EventError, match="malformed CodeCommit event") as caught:
        parse_codecommit_event(_event(**detail))
    assert message in str(caught.value)


def test_malformed_event_is_ignored_by_the_handler_without_touching_git(pipeline, tmp_path):
    pipeline.repository()
    bad = _event(referenceName="x;touch pwned", referenceFullName="refs/heads/x;touch pwned")
    result = pipeline.inspect(bad)
    assert result["status"] == "ignored" and "invalid ref name" in result["reason"]
    assert pipeline.inspect({"not": "an event"})["status"] == "ignored"
    assert not (tmp_path / "lambda-tmp").exists()  # no clone was made: git never ran
    assert pipeline.security_events() == []


def test_incident_id_is_deterministic_per_repository_and_leaking_objects():
    other = "b" * 40
    a = incident_id("app", [SHA, other])
    assert a == incident_id("app", [other, SHA, SHA])  # whatever order and repetition the events saw
    assert len({a, incident_id("app", [SHA]), incident_id("svc", [SHA, other])}) == 3


def _security_event(pipeline, rng):
    dev = pipeline.repository()
    dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    return event


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("incidentId"), "incidentId"),
        (lambda d: d.update(extra="field"), "Additional properties"),
        (lambda d: d["findings"][0].update(redacted="x" * 200), "findings/0/redacted"),
        (lambda d: d["reference"].update(newCommitId="HEAD"), "reference/newCommitId"),
    ],
)
def test_consumers_refuse_events_that_break_the_schema(pipeline, rng, mutate, message):
    event = copy.deepcopy(_security_event(pipeline, rng))
    mutate(event["detail"])
    with pytest.raises(EventError, match="does not match schema"):
        parse_security_event(event)
    results = pipeline.deliver(event)
    for name in ("notify", "lock", "reset"):
        assert results[name]["status"] == "ignored" and message in results[name]["reason"], name
    assert pipeline.mails() == []


def test_consumers_accept_what_the_inspector_emits(pipeline, rng):
    event = _security_event(pipeline, rng)
    incident = parse_security_event(event)
    assert incident.incidentId == event["detail"]["incidentId"]
    with pytest.raises(EventError, match="not a security event"):
        parse_security_event({**event, "detail-type": "Something Else"})


class _CountedValidations:
    """Every jsonschema pass over a security event detail, in order (the schema's validator class)."""

    def __init__(self, monkeypatch):
        self.details = []
        original = jsonschema.Draft202012Validator.iter_errors

        def iter_errors(validator, instance, *args, **kwargs):
            if validator.schema is security_event_schema():
                self.details.append(instance)
            return original(validator, instance, *args, **kwargs)

        monkeypatch.setattr(jsonschema.Draft202012Validator, "iter_errors", iter_errors)


@pytest.mark.parametrize("oversized", [False, True])
def test_the_inspector_validates_the_event_it_emits_once_and_consumers_validate_again(
    pipeline, rng, monkeypatch, oversized
):
    dev = pipeline.repository()
    dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("leak", {"k.py": "".join(f"k{i} = '{fake_aws_key(rng)}'\n" for i in range(20))})
    if oversized:  # the full report goes to S3, a smaller detail on the bus
        pipeline.inspector.INSPECTOR.max_detail_bytes = 4 * 1024
    counted = _CountedValidations(monkeypatch)
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))["status"] == "incident"
    (event,) = pipeline.security_events()
    assert counted.details == [event["detail"]]  # one pass, over exactly what went on the bus
    assert event["detail"]["findingsTruncated"] is oversized
    counted.details.clear()
    assert pipeline.notify.handler(event, LambdaContext(function_name="notify"))["status"] != "ignored"
    # The consumer trusts nothing: the bus detail, and the full report from S3 when truncated.
    assert len(counted.details) == (2 if oversized else 1)
    if oversized:
        assert len(counted.details[1]["findings"]) == 20 > len(event["detail"]["findings"])


def test_email_subject_fits_sns_limit_even_for_long_names(pipeline, rng):
    event = copy.deepcopy(_security_event(pipeline, rng))
    event["detail"]["repository"]["name"] = "r" * 100
    event["detail"]["reference"]["name"] = "feature/" + "n" * 200
    subject = email_subject(parse_security_event(event))
    assert subject.startswith("[ACTION REQUIRED]")
    from leakguard.aws.notifications import sns_subject

    assert len(sns_subject(subject)) <= 100


def test_settings_name_the_missing_variable():
    with pytest.raises(ConfigError, match="EVENT_BUS_NAME"):
        InspectorSettings.from_env({"REPORT_BUCKET": "b"})
    with pytest.raises(ConfigError, match="WATCHED_REPOSITORIES is not valid JSON"):
        InspectorSettings.from_env({"WATCHED_REPOSITORIES": "[app"})
    with pytest.raises(ConfigError, match="REMEDIATIONS"):
        LockSettings.from_env({"TOPIC_ARN": "t", "IDEMPOTENCY_TABLE": "i"})
    lock = LockSettings.from_env({"TOPIC_ARN": "t", "IDEMPOTENCY_TABLE": "i", "REMEDIATIONS": "{}"})
    assert (lock.lock_tag_key, lock.lock_tag_value) == ("RepoState", "locked")


def test_remediation_switches_fall_back_to_the_wildcard():
    settings = InspectorSettings.from_env(
        {
            "EVENT_BUS_NAME": "b",
            "REPORT_BUCKET": "r",
            "IDEMPOTENCY_TABLE": "t",
            "SCAN_RECORD_TABLE": "s",
            "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:admins",
            "WATCHED_REPOSITORIES": '["*"]',
            "REMEDIATIONS": '{"*": {"lock": true}, "special": {"reset": true}}',
            "FINGERPRINT_KEY_SECRET": "leakguard/fingerprint-key",
        }
    )
    assert settings.watches("anything")
    assert settings.remediations_for("x").lock and not settings.remediations_for("x").reset
    assert settings.remediations_for("special").reset and not settings.remediations_for("special").lock


def test_the_documented_example_follows_the_schema():
    import json
    import re
    from pathlib import Path

    import jsonschema

    from leakguard.events.security import security_event_schema

    doc = (Path(__file__).parents[2] / "docs" / "security-event.md").read_text(encoding="utf-8")
    example = re.search(r"## Example\n\n```json\n(.*?)```", doc, re.S)
    assert example is not None
    jsonschema.validate(json.loads(example.group(1)), security_event_schema())


def test_settings_models_read_exactly_the_contracts_variables():
    """docs/pipeline-contract.md's table and the settings models name the same variables."""
    import re
    from pathlib import Path

    from leakguard.settings import NotifySettings, ResetSettings

    doc = (Path(__file__).parents[2] / "docs" / "pipeline-contract.md").read_text(encoding="utf-8")
    models = {
        "inspector": InspectorSettings,
        "notify": NotifySettings,
        "lock": LockSettings,
        "reset": ResetSettings,
    }
    runtime = {
        "AWS_REGION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",  # set by Lambda itself
        "LEAKGUARD_CLONE_ROOT",
        "LEAKGUARD_CLONE_BUDGET_MB",
        "LEAKGUARD_PARTIAL_CLONE",
    }
    for name, model in models.items():
        row = re.search(rf"^\| {name} \|.*$", doc, re.M)
        assert row is not None, name
        documented = set(re.findall(r"`([A-Z_]+)`", row.group(0).split("|")[4]))
        read = {field.alias for field in model.model_fields.values()} - runtime
        assert read == documented, name
