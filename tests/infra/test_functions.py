"""Every function: runtime, architecture, sizing, its own log group and the contract's environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from stacks.names import CONTRACT_ENV

from .conftest import Synthesized
from .helpers import function, resources

RUNTIME_ENV = {"HOME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
NAMES = sorted(CONTRACT_ENV)


def test_contract_names_match_the_contract_page() -> None:
    """stacks/names.py and the env column of docs/pipeline-contract.md must agree (RULES_PATH is optional)."""
    page = (Path(__file__).parents[2] / "docs" / "pipeline-contract.md").read_text(encoding="utf-8")
    for name, keys in CONTRACT_ENV.items():
        (row,) = [line for line in page.splitlines() if line.startswith(f"| {name} |")]
        documented = set(re.findall(r"`([A-Z][A-Z_]+)`", row.split("|")[4])) - {"RULES_PATH"}
        assert set(keys) == documented, name


@pytest.mark.parametrize("stack", ["AllRepos", "Listed"])
@pytest.mark.parametrize("name", NAMES)
def test_environment_is_exactly_the_contract_plus_runtime_plumbing(
    synthesized: Synthesized, stack: str, name: str
) -> None:
    env = function(synthesized.templates[stack], name)["Properties"]["Environment"]["Variables"]
    assert set(env) == set(CONTRACT_ENV[name]) | RUNTIME_ENV
    assert env["HOME"] == "/tmp"
    assert env["POWERTOOLS_SERVICE_NAME"] == f"leakguard-{name}"


def test_inspector_environment_values(synthesized: Synthesized) -> None:
    env = function(synthesized.templates["Listed"], "inspector")["Properties"]["Environment"]["Variables"]
    assert env["WATCHED_REPOSITORIES"] == '["payments", "web-frontend"]'
    assert env["REMEDIATIONS"] == (
        '{"*": {"lock": true, "reset": false}, "payments": {"lock": true, "reset": true}}'
    )
    assert env["GIT_REMOTE_TEMPLATE"] == "codecommit::{region}://{repository}"
    assert env["EVENT_BUS_NAME"] == {"Ref": "FanOutBus7906BA29"}
    defaults = function(synthesized.templates["AllRepos"], "inspector")["Properties"]["Environment"][
        "Variables"
    ]
    assert defaults["WATCHED_REPOSITORIES"] == '["*"]'
    assert defaults["REMEDIATIONS"] == '{"*": {"lock": false, "reset": false}}'


def test_lock_environment_carries_the_tag(synthesized: Synthesized) -> None:
    env = function(synthesized.templates["AllRepos"], "lock")["Properties"]["Environment"]["Variables"]
    assert (env["LOCK_TAG_KEY"], env["LOCK_TAG_VALUE"]) == ("RepoState", "locked")


@pytest.mark.parametrize(("stack", "arch"), [("AllRepos", "arm64"), ("Listed", "x86_64")])
@pytest.mark.parametrize("name", NAMES)
def test_runtime_architecture_tracing_and_layers(
    synthesized: Synthesized, stack: str, arch: str, name: str
) -> None:
    props = function(synthesized.templates[stack], name)["Properties"]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == [arch]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert len(props["Layers"]) == 2  # third-party packages and git


@pytest.mark.parametrize("name", NAMES)
def test_sizing(synthesized: Synthesized, name: str) -> None:
    props = function(synthesized.templates["AllRepos"], name)["Properties"]
    if name in ("inspector", "reset"):  # clone, walk history, bundle
        assert 5 * 60 <= props["Timeout"] <= 15 * 60
        assert 1024 <= props["MemorySize"] <= 2048
        assert props["EphemeralStorage"]["Size"] >= 2048
    else:
        assert props["Timeout"] <= 120
        assert props["MemorySize"] <= 512


def test_one_role_and_one_log_group_with_retention_per_function(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    roles = {function(template, n)["Properties"]["Role"]["Fn::GetAtt"][0] for n in NAMES}
    groups = {function(template, n)["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for n in NAMES}
    assert len(roles) == len(groups) == 4
    log_groups = resources(template, "AWS::Logs::LogGroup")
    assert set(log_groups) == groups
    assert all(g["Properties"]["RetentionInDays"] == 365 for g in log_groups.values())
    assert set(resources(template, "AWS::IAM::Role")) == roles


SETTINGS_MODELS = {
    "inspector": "InspectorSettings",
    "notify": "NotifySettings",
    "lock": "LockSettings",
    "reset": "ResetSettings",
}


@pytest.mark.parametrize("name", NAMES)
def test_environment_satisfies_the_handler_settings_model(synthesized: Synthesized, name: str) -> None:
    """Each function's environment sets every required field of its settings model and nothing unknown."""
    settings = pytest.importorskip("leakguard.settings")
    model = getattr(settings, SETTINGS_MODELS[name])
    aliases = {f.alias for f in model.model_fields.values()}
    required = {f.alias for f in model.model_fields.values() if f.is_required()}
    env = function(synthesized.templates["Listed"], name)["Properties"]["Environment"]["Variables"]
    assert required <= set(env)
    assert set(env) - RUNTIME_ENV <= aliases
    # The values the stack renders parse as the model expects (tokens stand in as strings).
    model.from_env({k: v if isinstance(v, str) else "token" for k, v in env.items()})
