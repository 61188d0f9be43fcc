"""The deployed wiring, read from the synthesized CloudFormation template.

Local mode does not describe the pipeline a second time: it synthesizes the same CDK stack and lifts
from the template every rule's event pattern, its targets and retry policy, and every function's handler
and environment. Changing the stack changes what the local bus delivers.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function of the template: handler string and environment (CloudFormation values)."""

    logical_id: str
    handler: str
    environment: dict[str, Any]

    @property
    def name(self) -> str:
        """``inspector``, ``notify``, ... (the handler module)."""
        return self.handler.split(".")[-2]


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule: its bus (None: default), pattern and target functions with retries."""

    logical_id: str
    bus: str | None
    pattern: dict[str, Any]
    targets: list[tuple[str, int]] = field(default_factory=list)  # (function logical id, max retries)


@dataclass(frozen=True)
class StackWiring:
    """What local mode needs from a synthesized template."""

    resources: dict[str, dict[str, Any]]
    functions: dict[str, FunctionSpec]
    rules: list[RuleSpec]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id → properties of every resource of ``resource_type``."""
        return {k: r.get("Properties", {}) for k, r in self.resources.items() if r["Type"] == resource_type}


def project_on_path() -> Path:
    """Put the source checkout holding ``stacks/`` and ``handlers/`` on ``sys.path``; return it.

    Local mode imports the CDK app and the Lambda entry points themselves, which live beside
    ``src/`` in a checkout, not in the installed package.
    """
    root = Path(__file__).resolve().parents[3]
    if not (root / "handlers").is_dir() or not (root / "stacks").is_dir():
        raise ConfigError(
            "local mode runs from a source checkout of leakguard (handlers/ and stacks/ are needed)"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def synthesize(context: dict[str, Any]) -> dict[str, Any]:
    """Synthesize leakguard's stack for ``context`` (the cdk.json keys) without bundling or Docker."""
    project_on_path()
    # jsii prints a banner about Node 20's end of life on every start; it still works (DESIGN.md).
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk
    from stacks import LeakguardConfig, LeakguardStack

    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    LeakguardStack(app, "LeakguardLocal", config=LeakguardConfig.from_mapping(context))
    template: dict[str, Any] = app.synth().get_stack_by_name("LeakguardLocal").template
    return template


def read_wiring(template: dict[str, Any]) -> StackWiring:
    """Functions and rules of a template."""
    resources = template["Resources"]
    functions = {
        key: FunctionSpec(
            logical_id=key,
            handler=resource["Properties"]["Handler"],
            environment=dict(resource["Properties"].get("Environment", {}).get("Variables", {})),
        )
        for key, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function" and "Handler" in resource["Properties"]
    }
    rules = []
    for key, resource in resources.items():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        properties = resource["Properties"]
        bus = properties.get("EventBusName")
        targets = [
            (
                target["Arn"]["Fn::GetAtt"][0],
                int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0)),
            )
            for target in properties.get("Targets", [])
            if "Fn::GetAtt" in target["Arn"] and target["Arn"]["Fn::GetAtt"][0] in functions
        ]
        rules.append(
            RuleSpec(
                logical_id=key,
                bus=bus["Ref"] if isinstance(bus, dict) else bus,
                pattern=properties["EventPattern"],
                targets=targets,
            )
        )
    return StackWiring(resources=resources, functions=functions, rules=rules)


class Resolver:
    """Resolves the CloudFormation intrinsics a leakguard template uses, against local resources."""

    def __init__(
        self, *, region: str, account: str, names: dict[str, str], arns: dict[str, str], refs: dict[str, str]
    ) -> None:
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.names, self.arns, self.refs = names, arns, refs

    def resolve(self, value: Any) -> Any:
        """``value`` with every Ref, Fn::GetAtt and Fn::Join replaced by local values."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            ref = value["Ref"]
            return self.pseudo.get(ref) or self.refs[ref]
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.arns[logical_id] if attribute == "Arn" else self.names[logical_id]
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(part)) for part in parts)
        return {key: self.resolve(item) for key, item in value.items()}
