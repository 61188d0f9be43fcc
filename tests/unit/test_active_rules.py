"""The active rules of a function sandbox: published versions activated only when valid (moto S3)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from leakguard.aws.rules_object import RulesObject
from leakguard.detect.engine import Detector
from leakguard.rules import load_rules
from leakguard.rules.active import ActiveRules, Refusal
from tests.conftest import FIXTURES

BUCKET, KEY = "rules-bucket", "rules/active.json"
BASE = json.loads((FIXTURES / "rules.json").read_text())
ACME = {
    "id": "acme-internal-token",
    "description": "ACME token",
    "regex": "\\b(?P<secret>acme_tok_[A-Za-z0-9]{32})\\b",
    "keywords": ["acme_tok_"],
    "severity": "high",
    "examples": {"match": ["acme_tok_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"], "nomatch": ["acme_tok_short"]},
}


def _doc(*extra, **rule_changes):
    raw = json.loads(json.dumps(BASE))
    raw["rules"] += [json.loads(json.dumps(r)) for r in extra]
    for key, value in rule_changes.items():
        raw["rules"][-1][key] = value
    return json.dumps(raw).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class World:
    """A versioned bucket, the provider under test and what it did."""

    def __init__(self, s3, bucket=BUCKET):
        self.s3 = s3
        self.clock = Clock()
        self.refusals: list[tuple[Refusal, bool]] = []
        self.compiled = 0
        self.gets: list[dict] = []
        s3.meta.events.register(
            "provide-client-params.s3.GetObject", lambda params, **_: self.gets.append(dict(params))
        )

        def make(ruleset):
            self.compiled += 1
            return Detector(ruleset, plugins=False)

        self.rules = ActiveRules(
            source=RulesObject(bucket, KEY, s3),
            fallback=lambda: load_rules(FIXTURES / "rules.json"),
            fallback_label="the bundled rules (rules.json)",
            on_refused=lambda refusal, first: self.refusals.append((refusal, first)),
            refresh_seconds=300,
            clock=self.clock,
            make_detector=make,
        )

    def publish(self, body: bytes) -> str:
        """put_object straight away, as a publisher bypassing ``rules publish`` would."""
        return self.s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)["VersionId"]

    def ids(self, **kwargs) -> list[str]:
        return [r.id for r in self.rules.detector(**kwargs).ruleset.rules]


@pytest.fixture
def world():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield World(s3)


def test_nothing_published_means_the_bundled_rules_and_no_alert(world):
    assert "acme-internal-token" not in world.ids()
    assert world.rules.label == "the bundled rules (rules.json)" and world.refusals == []


def test_a_valid_version_is_activated_and_an_unchanged_one_costs_a_304_only(world):
    v1 = world.publish(_doc(ACME))
    assert world.ids()[-1] == "acme-internal-token"
    assert world.rules.label == f"s3://{BUCKET}/{KEY} version {v1}"
    compiled = world.compiled
    world.clock.now += 300
    world.rules.detector()
    assert world.gets[-1]["IfNoneMatch"]  # conditional: the ETag of v1
    assert world.compiled == compiled  # nothing downloaded again, nothing re-validated


def test_a_bad_version_is_refused_the_last_good_keeps_scanning_and_the_alert_fires_once(world):
    world.publish(_doc(ACME))
    good = world.rules.detector()
    bad = world.publish(_doc(ACME, severity="urgent"))
    world.clock.now += 300
    assert world.rules.detector() is good
    ((refusal, first),) = world.refusals
    assert first and refusal.version == bad
    assert refusal.problems[0].startswith("rule 'acme-internal-token': field 'severity'")
    versions = world.s3.list_object_versions(Bucket=BUCKET)["Versions"]
    assert refusal.kept.endswith(f"version {versions[1]['VersionId']}")  # v1, the older one

    world.clock.now += 300  # still current: reported again (the metric), not emailed again
    assert world.rules.detector() is good
    assert [first for _, first in world.refusals] == [True, False]

    world.publish(_doc(ACME, description="fixed"))
    world.clock.now += 300
    assert world.rules.detector() is not good
    assert world.rules.detector().ruleset.by_id("acme-internal-token").description == "fixed"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_doc(ACME, regex="(?<=x)(?P<secret>acme_tok_[a-z]{32})"), "does not compile on RE2"),
        (
            _doc(dict(ACME, examples={"match": ["acme_tok_short"], "nomatch": ["x_acme_tok_"]})),
            "should match",
        ),
        (b'{"version": 1, "rules": [', "not valid JSON"),
    ],
)
def test_a_bad_first_version_leaves_the_bundled_rules(world, body, problem):
    world.publish(body)
    assert "acme-internal-token" not in world.ids()
    ((refusal, first),) = world.refusals
    assert first and problem in refusal.problems[0] and refusal.kept == "the bundled rules (rules.json)"


def test_an_unreadable_object_keeps_the_last_good_rules_and_alerts():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        world = World(s3, bucket="no-such-bucket")
        assert "acme-internal-token" not in world.ids()
        ((refusal, first),) = world.refusals
        assert first and refusal.version is None
        assert refusal.problems[0].startswith(
            "cannot read s3://no-such-bucket/rules/active.json: NoSuchBucket"
        )


def test_checks_follow_the_refresh_interval_and_max_age_zero_checks_every_time(world):
    world.rules.detector()
    world.rules.detector()
    world.clock.now += 299
    world.rules.detector()
    assert len(world.gets) == 1
    world.publish(_doc(ACME))
    assert world.ids(max_age=0)[-1] == "acme-internal-token"  # a consumer, at an incident
    assert len(world.gets) == 2


def test_deleting_the_object_rolls_back_to_the_bundled_rules(world):
    world.publish(_doc(ACME))
    assert world.ids()[-1] == "acme-internal-token"
    world.s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert "acme-internal-token" not in world.ids(max_age=0)
    assert world.refusals == []


def test_neither_a_crashing_validation_nor_a_failing_alert_stops_the_scan(world):
    def boom(refusal, first):
        raise RuntimeError("SNS down")

    world.rules._on_refused = boom
    world.publish(_doc(ACME))
    good = world.rules.detector()
    world.rules._make_detector = lambda ruleset: (_ for _ in ()).throw(KeyError("crafted"))
    world.publish(_doc(ACME, description="v2"))
    assert world.rules.detector(max_age=0) is good


def test_an_oversized_version_is_refused_without_being_read(world):
    from leakguard.aws.rules_object import MAX_RULES_BYTES

    world.publish(_doc(ACME))
    good = world.rules.detector()
    big = world.publish(b" " * (MAX_RULES_BYTES + 1))
    compiled = world.compiled
    assert world.rules.detector(max_age=0) is good and world.compiled == compiled
    ((refusal, first),) = world.refusals
    assert first and refusal.version == big and "more than the" in refusal.problems[0]
