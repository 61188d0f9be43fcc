"""Lambda's runtime layout on this machine: the built assets unpacked as a task root and ``/opt``.

:func:`build_layout` builds the code asset, the dependency layer and the git layer with the same steps
``cdk synth`` runs (:mod:`stacks.build_steps`, ``layers/git/build.sh``), for this machine's Python and
architecture (Lambda's Python 3.14 is not installed here; the steps are the same). :class:`LambdaFunction`
then runs a handler the way Lambda does: a fresh interpreter from a runtime with no packages of its own,
Lambda's bootstrap (awslambdaric) talking to a Runtime API, ``sys.path`` only the task root, ``/opt/python``
and the runtime's own, Lambda's ``PATH`` and ``LD_LIBRARY_PATH``, no ``PYTHONPATH``. In a private mount
namespace the layers are mounted read-only at ``/opt`` itself and the task root read-only in place, and
this machine's git is hidden, so git can only come from the layer (Amazon Linux's Lambda image has none).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from stacks.build_steps import PROJECT_ROOT, compile_bytecode, copy_code
from stacks.packaging import DependencyLayerBundler

from tests.lambda_layout.runtime_api import RuntimeApi

LOCAL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
LOCAL_ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
_BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
_RUNTIME_DISTRIBUTIONS = ("awslambdaric",)  # and what they require
#: Enough of a function environment for every handler's cold start, with an AWS endpoint holding the
#: fingerprint key secret (see ``benchmarks/cold_start.py``).
STARTUP_ENVIRONMENT: dict[str, str] = {
    "POWERTOOLS_SERVICE_NAME": "leakguard-bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "IDEMPOTENCY_TABLE": "idempotency",
    "REPORT_BUCKET": "reports",
    "QUARANTINE_BUCKET": "quarantine",
    "EVENT_BUS_NAME": "leakguard-security-events",
    "WATCHED_REPOSITORIES": '["*"]',
    "REMEDIATIONS": '{"*": {"lock": true, "reset": true}}',
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "FINGERPRINT_KEY_SECRET": "leakguard/fingerprint-key",  # read at the inspector's and reset's init
}


@dataclass(frozen=True)
class LambdaLayout:
    """Directories standing in for ``/var/task``, ``/opt``, ``/var/lang`` and ``/var/runtime``."""

    task_root: Path
    opt: Path
    lang: Path
    runtime_dir: Path

    @property
    def python(self) -> Path:
        return self.lang / "bin" / "python3"


def build_dependency_layer(directory: Path) -> Path:
    """The dependency layer as CDK's local bundler builds it (pip from the lock file, then bytecode)."""
    directory.mkdir(parents=True)
    bundler = DependencyLayerBundler(
        root=PROJECT_ROOT, architecture=LOCAL_ARCHITECTURE, python_version=LOCAL_PYTHON
    )
    bundler.try_bundle(str(directory))
    return directory


def build_git_layer(directory: Path) -> Path:
    """``layers/git/build.sh`` on this machine's git, plus the git-remote-codecommit module.

    In the Docker build, ``build.sh --install`` pip-installs the module into ``python/``; here the
    installed copy of the same pinned version is copied there, file by file from its RECORD.
    """
    subprocess.run(
        ["bash", str(PROJECT_ROOT / "layers" / "git" / "build.sh"), str(directory)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    copy_distribution("git-remote-codecommit", directory / "python", with_requirements=False)
    return directory


def copy_distribution(name: str, target: Path, *, with_requirements: bool = True) -> None:
    """Copy an installed distribution's files (``pip install --target`` without the network)."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        dist = importlib.metadata.distribution(pending.pop())
        if dist.metadata["Name"].lower() in seen:
            continue
        seen.add(dist.metadata["Name"].lower())
        for file in dist.files or []:
            if file.parts[0].endswith(".dist-info") or ".." in file.parts or "__pycache__" in file.parts:
                continue
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(str(file.locate())), destination)
        if with_requirements:
            for requirement in dist.requires or []:
                if "extra ==" not in requirement:
                    pending.append(
                        requirement.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip()
                    )


def build_layout(
    directory: Path, *, dependency_layer: Path, git_layer: Path, code_root: Path = PROJECT_ROOT,
    bytecode: bool = True,
) -> LambdaLayout:  # fmt: skip
    """Unpack the assets as Lambda does: code in the task root, the layers merged into ``/opt``."""
    layout = LambdaLayout(
        task_root=directory / "task",
        opt=directory / "opt",
        lang=directory / "lang",
        runtime_dir=directory / "runtime",
    )
    copy_code(root=code_root, output_dir=layout.task_root)
    if bytecode:
        compile_bytecode(layout.task_root, python=sys.executable)
    for layer in (dependency_layer, git_layer):  # later layers win, as in Lambda
        shutil.copytree(layer, layout.opt, symlinks=True, dirs_exist_ok=True)
    if not bytecode:
        for cache in list(layout.opt.rglob("__pycache__")):
            shutil.rmtree(cache)
    # The runtime: an interpreter with nothing installed (Lambda's /var/lang) ...
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(layout.lang)], check=True)
    # ... and the runtime directory with Lambda's bootstrap (/var/runtime).
    for distribution in _RUNTIME_DISTRIBUTIONS:
        copy_distribution(distribution, layout.runtime_dir)
    shutil.copy2(_BOOTSTRAP, layout.runtime_dir / "bootstrap.py")
    compile_bytecode(layout.runtime_dir, python=sys.executable, strict=False)
    for root in (layout.task_root, layout.opt):
        _read_only(root)
    return layout


def _read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)


def namespace_prefix(layout: LambdaLayout) -> list[str] | None:
    """The argv prefix that runs a command with the layout mounted read-only at ``/opt`` and git hidden.

    None when this machine cannot make a private mount namespace (then the caller skips).
    """
    script = (
        'set -e; mount --bind -o ro "$1" /opt; mount --bind -o ro "$2" "$2"; '
        'for g in /usr/bin/git /usr/local/bin/git; do [ -e "$g" ] && mount --bind /dev/null "$g"; done; '
        'shift 2; exec "$@"'
    )
    for unshare in (["unshare", "--mount"], ["unshare", "--map-root-user", "--mount"]):
        argv = [*unshare, "--propagation", "private", "sh", "-c", script, "sh", str(layout.opt),
                str(layout.task_root)]  # fmt: skip
        probe = subprocess.run([*argv, "true"], capture_output=True, check=False, timeout=30)
        if probe.returncode == 0:
            return argv
    return None


def lambda_environment(
    layout: LambdaLayout, *, function_name: str, handler: str, runtime_api: str, writable: Path
) -> dict[str, str]:
    """The variables Lambda sets for a Python function (before the function's own environment)."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{LOCAL_PYTHON}",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "LAMBDA_TASK_ROOT": str(layout.task_root),
        "LAMBDA_RUNTIME_DIR": str(layout.runtime_dir),
        "_HANDLER": handler,
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": f"{layout.lang / 'bin'}:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": f"{layout.lang / 'lib'}:/lib64:/usr/lib64:{layout.runtime_dir}:"
        f"{layout.runtime_dir / 'lib'}:{layout.task_root}:{layout.task_root / 'lib'}:/opt/lib",
        "HOME": str(writable),  # HOME=/tmp in Lambda: the one writable place
        "TMPDIR": str(writable),
    }


@dataclass
class LambdaFunction:
    """One function process in the layout, kept warm between invocations like a Lambda sandbox."""

    layout: LambdaLayout
    prefix: list[str]
    name: str
    handler: str
    environment: dict[str, str]
    workdir: Path
    started_at: float = 0.0
    init_seconds: float | None = None
    init_cpu_seconds: float | None = None
    api: RuntimeApi | None = None
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        """The cold start: a fresh interpreter, the bootstrap, the handler's import."""
        writable = self.workdir / f"{self.name}-tmp"
        writable.mkdir(parents=True, exist_ok=True)
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.name}"
        self.api = RuntimeApi(function_arn=arn)
        env = {
            **self.environment,
            **lambda_environment(
                self.layout,
                function_name=self.name,
                handler=self.handler,
                runtime_api=self.api.address,
                writable=writable,
            ),
            "LEAKGUARD_CLONE_ROOT": str(writable / "leakguard"),
        }
        env.pop("PYTHONPATH", None)
        self.log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [*self.prefix, str(self.layout.python), str(self.layout.runtime_dir / "bootstrap.py")],
            env=env,
            cwd=self.layout.task_root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds from process start to the first ``/next``: the init phase (imports included)."""
        assert self.api is not None and self.process is not None
        deadline = time.monotonic() + timeout
        while not self.api.ready.wait(0.1):
            if self.process.poll() is not None or self.api.init_error or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {self.api.init_error}\n{self.read_log()}")
        assert self.api.ready_at is not None
        self.init_seconds = self.api.ready_at - self.started_at
        self.init_cpu_seconds = _cpu_seconds(self.process.pid)
        return self.init_seconds

    def invoke(self, event: dict[str, Any], timeout: float = 300) -> Any:
        """Invoke like the Lambda service; raise with the function's error report if it failed."""
        if self.process is None:
            self.start()
        assert self.api is not None and self.process is not None
        invocation = self.api.invoke(event, timeout=timeout, alive=lambda: self.process.poll() is None)
        if invocation.error is not None:
            raise FunctionError(self.name, invocation.error)
        return invocation.result

    def read_log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.api is not None:
            self.api.stop()
        if self.log is not None:
            self.log.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (Linux): unlike wall time, not inflated by other load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FunctionError(Exception):
    """The function raised: Lambda's error report (errorType, errorMessage, stackTrace)."""

    def __init__(self, function: str, report: dict[str, Any]) -> None:
        self.report = report
        super().__init__(f"{function}: {report.get('errorType')}: {report.get('errorMessage')}")


def probe(layout: LambdaLayout, prefix: list[str], code: str, environment: dict[str, str]) -> Any:
    """Run ``code`` after Lambda's path setup in the layout; it prints one JSON value, returned here."""
    env = {
        **environment,
        **lambda_environment(
            layout,
            function_name="probe",
            handler="probe",
            runtime_api="127.0.0.1:9",
            writable=Path(environment.get("HOME", "/tmp")),
        ),
    }
    result = subprocess.run(
        [*prefix, str(layout.python), str(layout.runtime_dir / "bootstrap.py"), "--probe", code],
        env=env,
        cwd=layout.task_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"probe failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def sizes(path: Path) -> int:
    """Bytes of every regular file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


__all__ = [
    "LOCAL_ARCHITECTURE",
    "LOCAL_PYTHON",
    "STARTUP_ENVIRONMENT",
    "FunctionError",
    "LambdaFunction",
    "LambdaLayout",
    "build_dependency_layer",
    "build_git_layer",
    "build_layout",
    "namespace_prefix",
    "probe",
    "sizes",
]
