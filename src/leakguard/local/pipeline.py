"""The deployed pipeline, running locally: the template's resources in the embedded AWS, its rules
delivering to the real handler modules.

Each rule target becomes an SQS queue on the rule (moto routes events to SQS along the rule's pattern,
as EventBridge routes them to Lambda), and :meth:`LocalPipeline.pump` plays the Lambda service: it
takes each delivered event and invokes the target's handler in this process, retrying as the target's
retry policy allows. The handlers are imported with their function's environment, as a cold start.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import secrets as random_secrets
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO, cast

import boto3

from leakguard.local.emulator import LocalAws
from leakguard.local.hook import install_hook
from leakguard.local.template import FunctionSpec, Resolver, StackWiring, project_on_path, read_wiring

#: The pusher local events name (CodeCommit's ``callerUserArn``).
DEVELOPER_ARN = "arn:aws:iam::123456789012:user/developer"
_MAX_LOCAL_RETRIES = 2  # the template allows more; locally a failure should show quickly


@dataclass
class LambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "local"
    invoked_function_arn: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class Delivery:
    """One event a rule delivered to one function, and what the function answered."""

    function: str
    event: dict[str, Any]
    result: Any = None
    error: str | None = None
    attempts: int = 1

    def summary(self) -> str:
        """One line: the function's status and why, or how it failed."""
        if self.error:
            return f"FAILED after {self.attempts} attempt(s): {self.error}"
        result = self.result if isinstance(self.result, dict) else {}
        detail = result.get("detail") or result.get("reason") or ""
        return f"{result.get('status', '?')}: {detail}" if detail else str(result.get("status", "?"))


@dataclass
class Mail:
    """A message SNS delivered to an email subscription."""

    to: str
    subject: str
    body: str


@dataclass
class LocalPipeline:
    """leakguard's stack, deployed into the embedded AWS, for the repositories of ``remotes``."""

    aws: LocalAws
    wiring: StackWiring
    workdir: Path
    names: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    queues: dict[str, tuple[FunctionSpec, int]] = field(default_factory=dict)
    mailboxes: dict[str, str] = field(default_factory=dict)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    logs: dict[str, TextIO] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    saved_environment: dict[str, str | None] = field(default_factory=dict)
    on_delivery: Callable[[Delivery], None] | None = None
    #: Runs a function instead of this process's handler module (the Lambda-layout tests run each
    #: function in its own process): ``invoker(function name, event)`` returns the result or raises.
    invoker: Callable[[str, dict[str, Any]], Any] | None = None

    @property
    def remotes(self) -> Path:
        """Where the bare repositories standing in for CodeCommit live."""
        return self.workdir / "remotes"

    @classmethod
    def deploy(
        cls,
        aws: LocalAws,
        template: dict[str, Any],
        *,
        workdir: Path,
        invoker: Callable[[str, dict[str, Any]], Any] | None = None,
    ) -> LocalPipeline:
        """Create the template's resources, wire its rules, cold-start its functions (in this process
        unless an ``invoker`` runs them elsewhere).

        The functions keep the template's ``GIT_REMOTE_TEMPLATE`` (``codecommit::{region}://...``): their
        git goes through git-remote-codecommit to the local git endpoint, as in AWS.
        """
        # Absolute: the workdir ends up in hooks run from other directories.
        pipeline = cls(aws=aws, wiring=read_wiring(template), workdir=workdir.resolve(), invoker=invoker)
        pipeline.remotes.mkdir(parents=True, exist_ok=True)
        pipeline._create_resources()
        pipeline._wire_rules()
        pipeline._subscribe_mailboxes()
        pipeline._resolve_environments()
        if invoker is None:
            pipeline._cold_start()
        return pipeline

    # -- resources -------------------------------------------------------------------------------

    def _create_resources(self) -> None:
        region, account = self.aws.region, self.aws.account
        s3, sns, dynamodb, events = (boto3.client(s) for s in ("s3", "sns", "dynamodb", "events"))
        for logical_id in self.wiring.of_type("AWS::S3::Bucket"):
            name = f"leakguard-{logical_id.lower()[:40]}"
            s3.create_bucket(Bucket=name)
            self._record(logical_id, name, f"arn:aws:s3:::{name}", ref=name)
        for logical_id in self.wiring.of_type("AWS::SNS::Topic"):
            arn = sns.create_topic(Name=logical_id)["TopicArn"]
            self._record(logical_id, logical_id, arn, ref=arn)
        for logical_id, props in self.wiring.of_type("AWS::DynamoDB::Table").items():
            dynamodb.create_table(
                TableName=logical_id,
                KeySchema=props["KeySchema"],
                AttributeDefinitions=props["AttributeDefinitions"],
                BillingMode="PAY_PER_REQUEST",
            )
            self._record(
                logical_id,
                logical_id,
                f"arn:aws:dynamodb:{region}:{account}:table/{logical_id}",
                ref=logical_id,
            )
        for logical_id, props in self.wiring.of_type("AWS::Events::EventBus").items():
            name = props.get("Name", logical_id)
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            self._record(logical_id, name, arn, ref=name)
        secrets = boto3.client("secretsmanager")
        for logical_id, props in self.wiring.of_type("AWS::SecretsManager::Secret").items():
            # GenerateSecretString, as CloudFormation would: a random value of the asked length.
            length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 64))
            name = props.get("Name", logical_id)
            arn = secrets.create_secret(Name=name, SecretString=random_secrets.token_hex(length)[:length])[
                "ARN"
            ]
            self._record(logical_id, name, arn, ref=arn)
        for logical_id, spec in self.wiring.functions.items():
            arn = f"arn:aws:lambda:{region}:{account}:function:leakguard-{spec.name}"
            self._record(logical_id, f"leakguard-{spec.name}", arn, ref=f"leakguard-{spec.name}")

    def _record(self, logical_id: str, name: str, arn: str, *, ref: str) -> None:
        self.names[logical_id], self.arns[logical_id], self.refs[logical_id] = name, arn, ref

    def resolver(self) -> Resolver:
        """Resolves the template's references against the resources created here."""
        return Resolver(
            region=self.aws.region, account=self.aws.account, names=self.names, arns=self.arns, refs=self.refs
        )

    def _wire_rules(self) -> None:
        events, sqs = boto3.client("events"), boto3.client("sqs")
        resolver = self.resolver()
        for rule in self.wiring.rules:
            bus = self.names[rule.bus] if rule.bus else "default"
            events.put_rule(
                Name=rule.logical_id,
                EventBusName=bus,
                EventPattern=json.dumps(resolver.resolve(rule.pattern)),
            )
            for position, (function_id, retries) in enumerate(rule.targets):
                spec = self.wiring.functions[function_id]
                url = sqs.create_queue(QueueName=f"deliver-{spec.name}-{rule.logical_id}"[:80])["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                events.put_targets(
                    Rule=rule.logical_id, EventBusName=bus, Targets=[{"Id": f"Target{position}", "Arn": arn}]
                )
                self.queues[url] = (spec, retries)

    def _subscribe_mailboxes(self) -> None:
        """An SQS mailbox per email subscription: moto does not send email, the outbox shows it."""
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        resolver = self.resolver()
        for logical_id, props in self.wiring.of_type("AWS::SNS::Subscription").items():
            if props.get("Protocol") != "email":
                continue
            url = sqs.create_queue(QueueName=f"mailbox-{logical_id}"[:80])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            sns.subscribe(TopicArn=resolver.resolve(props["TopicArn"]), Protocol="sqs", Endpoint=arn)
            self.mailboxes[url] = props["Endpoint"]

    def _resolve_environments(self) -> None:
        """Each function's environment: the template's variables, resolved against local resources."""
        resolver = self.resolver()
        for spec in self.wiring.functions.values():
            environment = {k: str(v) for k, v in resolver.resolve(spec.environment).items() if k != "HOME"}
            environment["LEAKGUARD_CLONE_ROOT"] = str(self.workdir / "lambda-tmp" / spec.name)
            self.environments[spec.name] = environment

    def _cold_start(self) -> None:
        # An invocation that records no metric is normal here; Powertools warns about it each time.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        project_on_path()
        for spec in self.wiring.functions.values():
            environment = self.environments[spec.name]
            for key in environment:
                self.saved_environment.setdefault(key, os.environ.get(key))
            os.environ.update(environment)
            module_name = spec.handler.rsplit(".", 1)[0]
            sys.modules.pop(module_name, None)  # a fresh cold start per deployment
            # Powertools binds its log handler to stdout at import: give each function its own log.
            with contextlib.redirect_stdout(self._log(spec.name)):
                self.modules[spec.name] = importlib.import_module(module_name)

    # -- repositories ----------------------------------------------------------------------------

    def create_repository(self, name: str, path: Path | None = None) -> Path:
        """A bare repository standing in for CodeCommit repository ``name``, with the event hook.

        It is served as ``codecommit::REGION://name`` by the local git endpoint. ``path`` adopts an
        existing bare repository (or creates it there) instead of one under :attr:`remotes`.
        """
        bare = path or self.remotes / f"{name}.git"
        if not (bare / "HEAD").exists():
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
        self.aws.codecommit.add_repository(name, bare)
        self.aws.git.add_repository(name, bare)
        install_hook(bare, repository=name, environment=self.aws.environment(), caller=DEVELOPER_ARN)
        return bare

    # -- delivery --------------------------------------------------------------------------------

    def pump(self, *, idle_rounds: int = 2, timeout: float = 120.0) -> list[Delivery]:
        """Invoke handlers for every delivered event until nothing arrives for ``idle_rounds`` polls."""
        sqs = boto3.client("sqs")
        deliveries: list[Delivery] = []
        quiet, deadline = 0, time.monotonic() + timeout
        while quiet < idle_rounds and time.monotonic() < deadline:
            delivered = False
            for url, (spec, retries) in self.queues.items():
                for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    delivery = self._invoke(spec, json.loads(message["Body"]), retries)
                    deliveries.append(delivery)
                    if self.on_delivery is not None:
                        self.on_delivery(delivery)
                    delivered = True
            quiet = 0 if delivered else quiet + 1
            if not delivered:
                time.sleep(0.2)
        return deliveries

    def _log(self, function: str) -> TextIO:
        if function not in self.logs:
            path = self.workdir / "logs" / f"{function}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.logs[function] = path.open("a", encoding="utf-8", buffering=1)
        sink = _SINKS.setdefault(function, _LogSink())
        sink.target = self.logs[function]
        return cast(TextIO, sink)

    def close(self) -> None:
        """Close the functions' log files and give the process its environment back."""
        for log in self.logs.values():
            log.close()
        self.logs.clear()
        for key, value in self.saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _invoke(self, spec: FunctionSpec, event: dict[str, Any], retries: int) -> Delivery:
        # moto's EventBridge leaves out the envelope's account, which EventBridge always sets.
        event.setdefault("account", self.aws.account)
        delivery = Delivery(function=spec.name, event=event)
        context = LambdaContext(
            function_name=f"leakguard-{spec.name}", invoked_function_arn=self.arns[spec.logical_id]
        )
        for attempt in range(1, min(retries, _MAX_LOCAL_RETRIES) + 2):
            delivery.attempts = attempt
            try:
                if self.invoker is not None:
                    delivery.result, delivery.error = self.invoker(spec.name, event), None
                    break
                with contextlib.redirect_stdout(self._log(spec.name)):
                    delivery.result, delivery.error = self.modules[spec.name].handler(event, context), None
                break
            except Exception as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
        return delivery

    def mails(self) -> list[Mail]:
        """Messages delivered to the email subscriptions since the last call."""
        sqs = boto3.client("sqs")
        mails = []
        for url, address in self.mailboxes.items():
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                for message in messages:
                    envelope = json.loads(message["Body"])
                    mails.append(
                        Mail(to=address, subject=envelope.get("Subject") or "", body=envelope["Message"])
                    )
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return mails


class _LogSink(io.TextIOBase):
    """A text stream whose target file can change or go away.

    Powertools binds its log handler to the stream it finds at the first import of a service and
    keeps it for the life of the process; a sink per function lets each deployment point that handler
    at its own log file, and makes writes after :meth:`LocalPipeline.close` harmless.
    """

    def __init__(self) -> None:
        super().__init__()
        self.target: TextIO | None = None

    def write(self, text: str) -> int:
        if self.target is not None and not self.target.closed:
            self.target.write(text)
        return len(text)

    def flush(self) -> None:
        if self.target is not None and not self.target.closed:
            self.target.flush()


_SINKS: dict[str, _LogSink] = {}
