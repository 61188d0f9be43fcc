"""Each handler in Lambda's layout: built assets as task root and ``/opt``, Lambda's bootstrap, no venv.

The code asset, the dependency layer (pip from the lock file, for this machine's Python and
architecture) and the git layer (this machine's git) are built with the CDK app's own steps, mounted
read-only, and every function runs in its own process under awslambdaric, with the environment the
synthesized template gives it. A push goes through the whole pipeline: the inspector fetches through
the layer's git and git-remote-codecommit from the local git endpoint, reset pushes back through it.
Building the dependency layer (pip, from the registry or pip's cache) dominates this module's time.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leakguard.local.emulator import LocalAws, local_aws
from leakguard.local.pipeline import LocalPipeline
from tests.conftest import fake_aws_key
from tests.lambda_layout.sandbox import (
    LambdaFunction,
    LambdaLayout,
    build_dependency_layer,
    build_git_layer,
    build_layout,
    namespace_prefix,
    probe,
)

from .conftest import Synthesized

REPOSITORY = "payments"  # lock and reset are on for it in the "Listed" configuration


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> tuple[LambdaLayout, list[str]]:
    root = tmp_path_factory.mktemp("lambda")
    built = build_layout(
        root / "layout",
        dependency_layer=build_dependency_layer(root / "dependency-layer"),
        git_layer=build_git_layer(root / "git-layer"),
    )
    prefix = namespace_prefix(built)
    if prefix is None:
        pytest.skip("needs a private mount namespace (unshare) to mount the layers at /opt")
    return built, prefix


class _Functions:
    """The deployed functions, each started on its first invocation and kept warm (like Lambda)."""

    def __init__(self, layout: LambdaLayout, prefix: list[str], workdir: Path, aws: LocalAws) -> None:
        self.layout, self.prefix, self.workdir, self.aws = layout, prefix, workdir, aws
        self.pipeline: LocalPipeline | None = None
        self.running: dict[str, LambdaFunction] = {}

    def environment(self, name: str) -> dict[str, str]:
        assert self.pipeline is not None
        aws = {k: v for k, v in self.aws.environment().items() if k != "PATH"}
        return {**self.pipeline.environments[name], **aws}

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        assert self.pipeline is not None
        if name not in self.running:
            spec = next(s for s in self.pipeline.wiring.functions.values() if s.name == name)
            function = LambdaFunction(
                layout=self.layout, prefix=self.prefix, name=f"leakguard-{name}", handler=spec.handler,
                environment=self.environment(name), workdir=self.workdir,
            )  # fmt: skip
            function.start()
            function.wait_ready()
            self.running[name] = function
        return self.running[name].invoke(event)

    def stop(self) -> None:
        for function in self.running.values():
            function.stop()


@pytest.fixture(scope="module")
def deployed(
    layout: tuple[LambdaLayout, list[str]], synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalPipeline, _Functions]]:
    workdir = tmp_path_factory.mktemp("deployed")
    with local_aws(tls_dir=workdir / "tls") as aws:
        functions = _Functions(*layout, workdir, aws)
        pipeline = LocalPipeline.deploy(
            aws, synthesized.templates["Listed"], workdir=workdir, invoker=functions.invoke
        )
        functions.pipeline = pipeline
        try:
            yield pipeline, functions
        finally:
            functions.stop()
            pipeline.close()


def _probe(layout: tuple[LambdaLayout, list[str]], code: str, tmp_path: Path, **env: str) -> Any:
    built, prefix = layout
    return probe(built, prefix, code, {"HOME": str(tmp_path), **env})


def test_sys_path_git_and_read_only_task_root_are_lambdas(layout, tmp_path):
    built, _ = layout
    seen = _probe(layout, """
import json, os, shutil, sys, tempfile
import botocore, leakguard
try:
    open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "x"), "w")
    writable = True
except OSError:
    writable = False
print(json.dumps({"path": sys.path, "git": shutil.which("git"), "leakguard": leakguard.__file__,
                  "botocore": botocore.__file__, "task_writable": writable,
                  "child_pythonpath": os.environ.get("PYTHONPATH")}))
""", tmp_path)  # fmt: skip
    assert seen["path"][:3] == [str(built.task_root), f"/opt/python/lib/python{_version()}/site-packages",
                                "/opt/python"]  # fmt: skip
    allowed = (str(built.task_root), "/opt/python", str(built.runtime_dir), str(built.lang), _stdlib())
    assert all(entry.startswith(allowed) for entry in seen["path"]), seen["path"]
    assert seen["git"] == "/opt/bin/git"  # this machine's git is hidden: only the layer's is there
    assert seen["leakguard"].startswith(str(built.task_root))
    assert seen["botocore"].startswith("/opt/python/")  # the layer's SDK, not the runtime's
    assert seen["task_writable"] is False
    assert seen["child_pythonpath"] == str(built.runtime_dir)  # what a child python3 gets: not /opt


def test_the_layers_vectorscan_gate_answers_in_lambdas_layout(layout, tmp_path):
    """The dependency layer carries the hyperscan wheel for the function's platform: the rule
    prefilter's fast pass loads from /opt and answers as RE2 does (else big pushes lose it silently)."""
    seen = _probe(layout, """
import json
from leakguard.detect import vectorscan
from leakguard.detect.prefilter import RulePrefilter
from leakguard.rules import load_rules
vectorscan.COMPILE_AFTER_BYTES = 0
rules = [rule for rule in load_rules().rules if not rule.keywordless]
gate = RulePrefilter(rules)
fast = gate._fast.ready(1)
example = next(rule for rule in rules if rule.id == "github-pat").examples_match[0]
print(json.dumps({"module": vectorscan.hyperscan.__file__, "fast": fast is not None,
                  "hits": sorted(gate.possible(example.encode()) or ()),
                  "clean": sorted(gate.possible(b"def add(a, b): return a + b") or ())}))
""", tmp_path)  # fmt: skip
    assert seen["module"].startswith("/opt/python/")
    assert seen["fast"] is True
    assert "github-pat" in seen["hits"]
    assert seen["clean"] == []


def test_git_started_by_a_function_runs_the_layers_remote_helper(deployed, layout, tmp_path):
    """The child ``python3`` of git-remote-codecommit sees no /opt/python; the helper adds it itself."""
    pipeline, functions = deployed
    pipeline.create_repository("web-frontend")
    env = functions.environment("inspector")
    result = _probe(layout, """
import json, subprocess
run = subprocess.run(["git", "ls-remote", "codecommit::us-east-1://web-frontend"], capture_output=True,
                     text=True)
print(json.dumps([run.returncode, run.stderr[-2000:]]))
""", tmp_path, **env)  # fmt: skip
    assert result == [0, ""], result[1]


def test_a_push_runs_through_every_function_in_its_layout(deployed, rng, tmp_path):
    pipeline, functions = deployed
    bare = pipeline.create_repository(REPOSITORY)
    remote = pipeline.aws.remote(REPOSITORY)
    clone = tmp_path / "clone"
    _git("clone", "-q", remote, str(clone))
    (clone / "app.py").write_text("print('hello')\n")
    clean = _commit(clone, "clean")
    _git("-C", str(clone), "push", "-q", "origin", "main")
    first = pipeline.pump()
    assert [(d.function, d.error, (d.result or {}).get("status")) for d in first] == [
        ("inspector", None, "clean")
    ], functions.running["inspector"].read_log()

    (clone / "conf.py").write_text(f"KEY = '{fake_aws_key(rng)}'\n")
    leak = _commit(clone, "leak")
    _git("-C", str(clone), "push", "-q", "origin", "main")
    deliveries = pipeline.pump()
    outcome = {d.function: (d.error, (d.result or {}).get("status")) for d in deliveries}
    logs = {name: f.read_log() for name, f in functions.running.items()}
    assert outcome.get("notify") == (None, "notified"), logs
    assert outcome.get("lock") == (None, "locked"), logs
    assert outcome.get("reset") == (None, "reset"), logs
    head = subprocess.run(["git", "-C", str(bare), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    assert head == clean != leak
    tags = pipeline.aws.codecommit.tags[pipeline.aws.codecommit.names[REPOSITORY]]
    assert tags["RepoState"] == "locked"
    assert any(m.subject.startswith("[ACTION REQUIRED]") for m in pipeline.mails())
    served = {(r.action, r.status) for r in pipeline.aws.git.requests if r.repository == REPOSITORY}
    assert ("GitPush", 200) in served and ("GitPull", 200) in served and ("GitPull", 403) not in served
    for name, log in logs.items():
        assert "AKIA" not in log.replace("AKIA********", ""), name  # the secret is in no log line


def test_handlers_load_from_shipped_bytecode_and_notify_and_lock_stay_light(deployed, layout, tmp_path):
    _, functions = deployed
    code = """
import importlib, importlib.machinery, json, os, sys
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = source_to_code
importlib.import_module("handlers." + os.environ["PROBE_HANDLER"])
heavy = sorted(m for m in ("git", "re2", "detect_secrets", "leakguard.detect.engine", "leakguard.rules",
                           "leakguard.inspection") if m in sys.modules)
print(json.dumps({"compiled": compiled, "heavy": heavy}))
"""
    built, _ = layout
    for handler in ("inspector", "notify", "lock", "reset"):
        seen = _probe(layout, code, tmp_path, PROBE_HANDLER=handler, **functions.environment(handler))
        ours = [p for p in seen["compiled"] if p.startswith((str(built.task_root), "/opt/"))]
        assert ours == [], f"{handler} compiled {len(ours)} modules at import: {ours[:5]}"
        if handler in ("notify", "lock"):
            assert seen["heavy"] == [], f"{handler} imports {seen['heavy']}"


def _version() -> str:
    import sys

    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _stdlib() -> str:
    import sysconfig

    return str(Path(sysconfig.get_paths()["stdlib"]).parent)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(clone: Path, message: str) -> str:
    _git("-C", str(clone), "add", "-A")
    _git("-C", str(clone), "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m",
         message)  # fmt: skip
    return _git("-C", str(clone), "rev-parse", "HEAD")
