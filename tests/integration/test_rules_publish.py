"""``leakguard rules publish``: validated first, then uploaded as a new SSE-KMS version (moto S3)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from leakguard.cli import main
from leakguard.commands.rules import DEFAULT_KEY
from tests.conftest import FIXTURES

REGION = "us-east-1"
BUCKET = "leakguard-rules-test"
EXTENDS = FIXTURES / "rules-extends.json"


@pytest.fixture
def aws(monkeypatch):
    for name in ("LEAKGUARD_RULES_BUCKET", "LEAKGUARD_RULES_KEY", "LEAKGUARD_RULES_KMS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(  # as the stack makes it
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
                ]
            },
        )
        yield s3, key


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _versions(s3, key=DEFAULT_KEY):
    return s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])


def test_a_valid_file_is_uploaded_as_a_new_kms_encrypted_version(aws, capsys):
    s3, kms_key = aws
    code, out, _ = run(capsys, "rules", "publish", str(EXTENDS), "--bucket", BUCKET, "--kms-key", kms_key)
    assert code == 0
    head = s3.head_object(Bucket=BUCKET, Key=DEFAULT_KEY)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == kms_key
    assert f"as version {head['VersionId']} (SSE-KMS {kms_key})" in out
    body = s3.get_object(Bucket=BUCKET, Key=DEFAULT_KEY)["Body"].read()
    assert body == EXTENDS.read_bytes()  # the file as written: each function merges its own built-ins


def test_without_a_key_the_buckets_own_kms_key_is_named_never_the_aws_managed_one(aws, capsys):
    s3, kms_key = aws
    assert run(capsys, "rules", "publish", str(EXTENDS), "--bucket", BUCKET)[0] == 0
    assert s3.head_object(Bucket=BUCKET, Key=DEFAULT_KEY)["SSEKMSKeyId"] == kms_key


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            lambda r: r["rules"][0].update(regex="(?<=x)(?P<secret>acme_tok_[a-z]{32})"),
            "does not compile on RE2",
        ),
        (
            lambda r: r["rules"][0]["examples"]["match"].append("acme_tok_tooshort"),
            "match example #3 should match",
        ),
        (lambda r: r.update(disable=["no-such-rule"]), "'no-such-rule' is not a rule of the built-in set"),
        (lambda r: r["rules"][0].update(severity="urgent"), "field 'severity'"),
    ],
)
def test_an_invalid_file_is_refused_and_nothing_is_uploaded(aws, capsys, tmp_path, mutate, problem):
    s3, _ = aws
    raw = json.loads(EXTENDS.read_text())
    mutate(raw)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    code, _, err = run(capsys, "rules", "publish", str(bad), "--bucket", BUCKET)
    assert code == 1
    assert problem in err and "nothing was published" in err
    assert _versions(s3) == []


def test_bucket_key_and_kms_key_from_the_stack_outputs_or_the_environment(aws, capsys, monkeypatch):
    s3, kms_key = aws
    outputs = {"RulesBucketName": BUCKET, "RulesObjectKey": "rules/team.json", "RulesKeyArn": kms_key}
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Leakguard", TemplateBody=json.dumps(template)
    )
    assert run(capsys, "rules", "publish", str(EXTENDS), "--stack", "Leakguard")[0] == 0
    assert s3.head_object(Bucket=BUCKET, Key="rules/team.json")["SSEKMSKeyId"] == kms_key

    monkeypatch.setenv("LEAKGUARD_RULES_BUCKET", BUCKET)
    monkeypatch.setenv("LEAKGUARD_RULES_KEY", "rules/env.json")
    assert run(capsys, "rules", "publish", str(EXTENDS))[0] == 0
    assert len(_versions(s3, "rules/env.json")) == 1


def test_no_destination_dry_run_and_unreadable_file_are_one_line_errors(aws, capsys, tmp_path):
    code, _, err = run(capsys, "rules", "publish", str(EXTENDS))
    assert code == 2 and "needs --bucket" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "rules", "publish", str(EXTENDS), "--dry-run")
    assert code == 0 and "nothing published" in out
    code, _, err = run(capsys, "rules", "publish", str(tmp_path / "none.json"), "--bucket", BUCKET)
    assert code == 2 and "cannot read rules file" in err
