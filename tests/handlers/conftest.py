"""Handler tests: the four Lambdas against real bare repositories behind CodeCommit's git endpoint.

The handlers fetch and push through their production remotes, ``codecommit::REGION://REPO``:
git runs git-remote-codecommit, which signs with this test's fake credentials and talks HTTPS to the
git endpoint stand-in (``leakguard.local.git_endpoint``: one server per session on loopback, TLS
trusted through ``GIT_SSL_CAINFO``, SigV4 checked, a fresh repository per test). SNS, EventBridge, S3,
SQS and DynamoDB are moto's in-process mocks; CodeCommit's tag and repository calls go to the
botocore-validated stand-in. The developer pushes straight into the bare repository (test setup, not
the code under test). Sockets are off in this process except towards the git endpoint, and git's
children get a dead proxy for anything but loopback: nothing leaves the machine.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import socket
import string
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from leakguard.local.git_endpoint import GitEndpoint, serve_git_endpoint
from leakguard.local.hook import reference_event
from leakguard.local.sigv4 import Credentials
from tests.conftest import FIXTURES, Repo, fake_aws_key
from tests.fakes_codecommit import FakeCodeCommit

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUS = "leakguard-security-events"
SECURITY_PATTERN = {"source": ["leakguard.inspector"], "detail-type": ["CodeCommit Security Event"]}


#: Where this process may still connect: the git endpoint of the session, nothing else.
_ALLOWED: set[tuple[str, int]] = set()


class _NoNetwork(socket.socket):
    def connect(self, address: Any, *args: object, **kwargs: object) -> None:
        if isinstance(address, tuple) and (address[0], address[1]) in _ALLOWED:
            super().connect(address, *args, **kwargs)
            return
        raise RuntimeError(f"handler tests must not open network connections (to {address!r})")


@pytest.fixture(autouse=True)
def _sockets_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoNetwork)


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_loader() -> Iterator[None]:
    """Every botocore session of the run shares one data loader (a test-speed measure only).

    moto swaps boto3's default session per test and Powertools makes sessions of its own, and each new
    session parses the same service and endpoint JSON again: about two seconds per test. The loader
    only reads botocore's packaged data files, so sharing it changes nothing but the time.
    """
    shared: dict[str | None, botocore.loaders.Loader] = {}

    def register(session: botocore.session.Session) -> None:
        def loader() -> botocore.loaders.Loader:
            data_path = session.get_config_variable("data_path")
            if data_path not in shared:
                shared[data_path] = botocore.loaders.create_loader(data_path)
            return shared[data_path]

        session._components.lazy_register_component("data_loader", loader)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session.Session, "_register_data_loader", register)
        yield


@pytest.fixture(scope="session")
def git_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitEndpoint]:
    """CodeCommit's git endpoint on loopback, shared by the session (its TLS setup is per server)."""
    with serve_git_endpoint(region=REGION, directory=tmp_path_factory.mktemp("tls")) as endpoint:
        _ALLOWED.add(endpoint.address)
        yield endpoint
        _ALLOWED.discard(endpoint.address)


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "leakguard-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:leakguard-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


class Pipeline:
    """The deployed wiring, in process: resources, env, the four handler modules, a CodeCommit remote."""

    inspector: ModuleType
    notify: ModuleType
    lock: ModuleType
    reset: ModuleType

    def __init__(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        rng: random.Random,
        endpoint: GitEndpoint,
    ) -> None:
        self.tmp = tmp_path
        self.endpoint = endpoint
        self.endpoint_credentials: Credentials | None = None
        self.rng = rng
        self.remotes = tmp_path / "remotes"
        self.remotes.mkdir()
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
        for bucket in ("reports", "quarantine"):  # as the stack makes them: SSE-KMS by default
            self.s3.create_bucket(Bucket=bucket)
            self.s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": key_id,
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
            )
        self.kms_key_id = key_id
        # The published rules, as stacks/rules_store.py makes their bucket: versioned, SSE-KMS. Nothing
        # is published at first, so the functions start on RULES_PATH (the bundled rules in Lambda).
        self.s3.create_bucket(Bucket="rules")
        self.s3.put_bucket_versioning(Bucket="rules", VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_encryption(
            Bucket="rules",
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key_id,
                        }
                    }
                ]
            },
        )
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.dynamodb.create_table(
            TableName="idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.fingerprint_key = "handler-tests-fingerprint-key-0123456789abcdef"
        key_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="leakguard/fingerprint-key", SecretString=self.fingerprint_key
        )["ARN"]
        self.dynamodb.create_table(  # as stacks/scan_record.py makes it
            TableName="scan-record",
            KeySchema=[
                {"AttributeName": "repository", "KeyType": "HASH"},
                {"AttributeName": "entry", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "repository", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.topic = self.sns.create_topic(Name="admins")["TopicArn"]
        self.mail_queue = self._queue("mail")
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self._arn(self.mail_queue))
        self.events.create_event_bus(Name=BUS)
        self.events.put_rule(Name="security", EventBusName=BUS, EventPattern=json.dumps(SECURITY_PATTERN))
        self.event_queue = self._queue("security-events")
        self.events.put_targets(
            Rule="security", EventBusName=BUS, Targets=[{"Id": "q", "Arn": self._arn(self.event_queue)}]
        )
        self.env = {
            "EVENT_BUS_NAME": BUS,
            "REPORT_BUCKET": "reports",
            "QUARANTINE_BUCKET": "quarantine",
            "IDEMPOTENCY_TABLE": "idempotency",
            "SCAN_RECORD_TABLE": "scan-record",
            "TOPIC_ARN": self.topic,
            "WATCHED_REPOSITORIES": json.dumps(["app", "svc", "quiet"]),
            "REMEDIATIONS": json.dumps({"*": {"lock": True, "reset": True}, "quiet": {}}),
            "RULES_PATH": str(FIXTURES / "rules.json"),
            "RULES_BUCKET": "rules",
            "RULES_KEY": "rules/active.json",
            "FINGERPRINT_KEY_SECRET": key_arn,
            "LOCK_TAG_KEY": "RepoState",
            "LOCK_TAG_VALUE": "locked",
            "LEAKGUARD_CLONE_ROOT": str(tmp_path / "lambda-tmp"),
            "POWERTOOLS_SERVICE_NAME": "leakguard",
        }
        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        self.codecommit = FakeCodeCommit(region=REGION, account=ACCOUNT)
        for name in ("inspector", "notify", "lock", "reset"):
            self.cold_start(name)

    def cold_start(self, name: str) -> ModuleType:
        """Start ``handlers.<name>`` afresh (a new sandbox), with the CodeCommit stand-in behind it."""
        module = _cold_start(f"handlers.{name}")
        setattr(self, name, module)
        if name == "lock":
            self.codecommit.install(module.LOCKER.tags.client)
        if name == "inspector":
            self.codecommit.install(module.INSPECTOR.vanished.api.client)
        return module

    # --- AWS plumbing -------------------------------------------------------------------------
    def _queue(self, name: str) -> str:
        return self.sqs.create_queue(QueueName=name)["QueueUrl"]

    def _arn(self, queue_url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Messages of a queue; EventBridge envelopes get the account moto leaves out (EventBridge
        always sets it, and the consumers check it)."""
        bodies = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return bodies
            for message in messages:
                body = json.loads(message["Body"])
                if isinstance(body, dict) and "detail-type" in body:
                    body["account"] = body.get("account") or ACCOUNT
                bodies.append(body)
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def security_events(self) -> list[dict[str, Any]]:
        """Events the security-event rule routed since the last call (full EventBridge envelopes)."""
        return self._drain(self.event_queue)

    def mails(self) -> list[tuple[str, str]]:
        """(subject, message) of everything published to the admins' topic since the last call."""
        return [(m["Subject"], m["Message"]) for m in self._drain(self.mail_queue)]

    # --- git plumbing -------------------------------------------------------------------------
    def repository(self, name: str = "app", *, created: datetime | None = None) -> Repo:
        """A bare 'CodeCommit' repository and a developer clone of it.

        ``created`` back-dates the repository (one that existed before leakguard watched it). Its
        ``post-receive`` hook notes every ref a push changes, as git reports them to CodeCommit.
        """
        bare = self.remotes / f"{name}.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
        hook = bare / "hooks" / "post-receive"
        hook.write_text(f"#!/bin/sh\ncat >> '{bare / 'pushed-refs'}'\n", encoding="utf-8")
        hook.chmod(0o755)
        self.codecommit.add_repository(name, bare, created=created)
        self.endpoint.add_repository(name, bare)
        dev = Repo(self.tmp / "dev" / name)
        dev.git("remote", "add", "origin", str(bare))
        return dev

    def git_push(self, dev: Repo, *args: str, name: str = "app") -> list[dict[str, Any]]:
        """``git push origin ARGS`` as a developer: CodeCommit's event for every ref the push changed.

        The events come from the refs git's ``post-receive`` reported, made by the local hook's own
        :func:`~leakguard.local.hook.reference_event` (what ``make demo`` emits), in push order.
        """
        log = self.remotes / f"{name}.git" / "pushed-refs"
        log.unlink(missing_ok=True)
        dev.git("push", "-q", "origin", *args)
        events = []
        for line in log.read_text(encoding="utf-8").splitlines():
            old, new, ref = line.split(" ", 2)
            entry = reference_event(
                repository=name, region=REGION, account=ACCOUNT, old=old, new=new, ref=ref,
                caller=f"arn:aws:iam::{ACCOUNT}:user/dev",
            )  # fmt: skip
            if entry is not None:
                events.append(delivered(entry))
        return events

    def remote_ref(self, name: str, ref: str) -> str | None:
        out = subprocess.run(
            ["git", "-C", str(self.remotes / f"{name}.git"), "rev-parse", "--verify", "-q", ref],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() or None

    def push(
        self, dev: Repo, src: str, dst: str, *, force: bool = False, name: str = "app"
    ) -> dict[str, Any]:
        """Push like a developer; return the CodeCommit event EventBridge would deliver."""
        old = self.remote_ref(name, dst)
        dev.git("push", "-q", *(["--force"] if force else []), "origin", f"{src}:{dst}")
        new = self.remote_ref(name, dst)
        return codecommit_event(name, dst, old=old, new=new)

    # --- the scan record and delivery state ----------------------------------------------------
    def record_items(self, name: str = "app") -> list[dict[str, Any]]:
        """Every item of ``name``'s partition of the scan record."""
        return self.dynamodb.query(
            TableName="scan-record",
            KeyConditionExpression="repository = :r",
            ExpressionAttributeValues={":r": {"S": name}},
        )["Items"]

    def restore_record(self, items: list[dict[str, Any]], name: str = "app") -> None:
        """Put ``name``'s partition back as it was, and forget every delivery: replay a push afresh."""
        for item in self.record_items(name):
            self.dynamodb.delete_item(
                TableName="scan-record", Key={"repository": item["repository"], "entry": item["entry"]}
            )
        for item in items:
            self.dynamodb.put_item(TableName="scan-record", Item=item)
        for item in self.dynamodb.scan(TableName="idempotency")["Items"]:
            self.dynamodb.delete_item(TableName="idempotency", Key={"id": item["id"]})
        self.security_events()
        self.mails()

    def sandboxed_inspectors(self, count: int, *, barrier: bool = True) -> list[Any]:
        """``count`` inspectors as concurrent Lambda sandboxes have them: each its own /tmp clone.

        With ``barrier``, each waits after reading the scan record until all have read it: the
        interleaving where concurrent events of one push all see the record from before the push.
        """
        from leakguard.runtime import build_inspector
        from leakguard.settings import InspectorSettings

        gate = threading.Barrier(count, timeout=30)
        inspectors = []
        for index in range(count):
            settings = InspectorSettings.from_env().model_copy(
                update={"clone_root": str(self.tmp / f"sandbox-{index}")}
            )
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            if barrier:
                waited: list[bool] = []

                def wait(waited: list[bool] = waited, **_: Any) -> None:
                    if not waited:
                        waited.append(True)
                        gate.wait()

                dynamodb.meta.events.register("after-call.dynamodb.Query", wait)
            codecommit = self.codecommit.install(boto3.client("codecommit", region_name=REGION))
            inspectors.append(build_inspector(settings, dynamodb=dynamodb, codecommit=codecommit))
        return inspectors

    def inspect_concurrently(self, events: list[dict[str, Any]]) -> list[Any]:
        """Inspect ``events`` at the same time, one sandboxed inspector each; their results."""
        from leakguard.events.codecommit import parse_codecommit_event

        inspectors = self.sandboxed_inspectors(len(events))
        with ThreadPoolExecutor(max_workers=len(events)) as pool:
            futures = [
                pool.submit(inspector.inspect, parse_codecommit_event(event))
                for inspector, event in zip(inspectors, events, strict=True)
            ]
            return [future.result(timeout=120) for future in futures]

    # --- handlers -----------------------------------------------------------------------------
    def inspect(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.inspector.handler(event, LambdaContext(function_name="inspector"))

    def deliver(self, event: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Fan one security event out to the three consumers, as the rule's targets would."""
        return {
            "notify": self.notify.handler(event, LambdaContext(function_name="notify")),
            "lock": self.lock.handler(event, LambdaContext(function_name="lock")),
            "reset": self.reset.handler(event, LambdaContext(function_name="reset")),
        }


def leaking_incident(
    pipeline: Pipeline, rng: random.Random, *, branch: str = "main", name: str = "app"
) -> tuple[Repo, str, str, dict[str, Any]]:
    """A repository with a clean base and a leaking push to ``branch``; returns (dev, base, leak, event)."""
    dev = pipeline.repository(name)
    base = dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", name=name))
    if branch != "main":
        dev.git("checkout", "-q", "-b", branch)
    leak = dev.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, branch, f"refs/heads/{branch}", name=name))
    events = pipeline.security_events()
    assert len(events) == 1
    return dev, base, leak, events[0]


def delivered(entry: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry as EventBridge delivers it to a target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": ACCOUNT,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": REGION,
        "resources": entry["Resources"],
        "detail": json.loads(entry["Detail"]),
    }


def _cold_start(module: str) -> ModuleType:
    """Import (or re-import) a handler module: module-level code is the Lambda's cold start."""
    return importlib.reload(importlib.import_module(module))


def codecommit_event(
    repository: str, full_ref: str, *, old: str | None, new: str | None, caller: str | None = None
) -> dict[str, Any]:
    """A "CodeCommit Repository State Change" event for a ref that went from ``old`` to ``new``."""
    kind, name = (
        ("tag", full_ref[len("refs/tags/") :])
        if full_ref.startswith("refs/tags/")
        else (
            "branch",
            full_ref[len("refs/heads/") :],
        )
    )
    detail: dict[str, Any] = {
        "callerUserArn": caller or f"arn:aws:iam::{ACCOUNT}:user/dev",
        "repositoryId": f"id-{repository}",
        "repositoryName": repository,
        "referenceType": kind,
        "referenceName": name,
        "referenceFullName": full_ref,
    }
    if old is None:
        detail.update(event="referenceCreated", commitId=new)
    elif new is None:
        detail.update(event="referenceDeleted", oldCommitId=old)
    else:
        detail.update(event="referenceUpdated", oldCommitId=old, commitId=new)
    return {
        "version": "0",
        "id": "11111111-2222-3333-4444-" + "".join(random.choices(string.digits, k=12)),
        "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit",
        "account": ACCOUNT,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": REGION,
        "resources": [f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{repository}"],
        "detail": detail,
    }


def fake_role_credentials(rng: random.Random) -> Credentials:
    """Generated credentials shaped like a Lambda role's (``ASIA`` key id, secret, session token)."""
    alphabet = string.ascii_letters + string.digits
    return Credentials(
        access_key="ASIA" + fake_aws_key(rng)[4:],
        secret_key="".join(rng.choices(alphabet, k=40)),
        token="".join(rng.choices(alphabet + "+/", k=120)) + "==",
    )


def git_client_environment(endpoint: GitEndpoint) -> dict[str, str]:
    """What git and git-remote-codecommit need to reach the endpoint, and only the endpoint.

    The helper is the one installed beside this interpreter; the proxy is a closed port, so any
    HTTPS request git's children make to a host other than loopback fails at once.
    """
    helper_dir = Path(sys.executable).parent
    return {
        **endpoint.environment(),
        "PATH": f"{helper_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rng: random.Random, git_endpoint: GitEndpoint
) -> Iterator[Pipeline]:
    """Everything the handlers need, with fake role credentials made for this test."""
    for key, value in git_client_environment(git_endpoint).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "leakguard")
    monkeypatch.setenv("HOME", str(tmp_path))  # git reads no config of the machine's user
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    try:
        with mock_aws():  # moto sets its own fake keys on entry: ours go in after it
            credentials = fake_role_credentials(rng)
            git_endpoint.allow(credentials)
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
            monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token or "")
            pipeline = Pipeline(tmp_path, monkeypatch, rng, git_endpoint)
            pipeline.endpoint_credentials = credentials
            yield pipeline
    finally:
        git_endpoint.forget()
