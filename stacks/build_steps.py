"""The steps that turn the checkout into Lambda assets, as plain functions (CDK's bundlers call them).

They are apart from the CDK glue in :mod:`stacks.packaging` so that the Lambda-layout tests and the
cold-start benchmark build the assets with exactly the code ``cdk synth`` runs, without jsii.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .config import Architecture

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The Python of the Lambda runtime (``Runtime.PYTHON_3_14``): what wheels and bytecode are built for.
RUNTIME_PYTHON_VERSION = "3.14"
#: The dependency layer's lock file: exact versions and hashes; the layer asset's hash covers it.
DEPENDENCY_LOCK = PROJECT_ROOT / "layers" / "dependencies" / "requirements.txt"
_MACHINES: dict[str, str] = {"arm64": "aarch64", "x86_64": "x86_64"}
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".keep", ".mypy_cache")


def pip_platforms(architecture: Architecture) -> list[str]:
    """Wheel platform tags Lambda's Amazon Linux 2023 (glibc 2.34) runs, newest first.

    pip matches ``--platform`` tags exactly, not "this glibc or older": google-re2 publishes
    manylinux_2_28 wheels while pydantic-core publishes manylinux_2_17 (alias manylinux2014) ones, so
    both generations are listed.
    """
    machine = _MACHINES[architecture]
    return [f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"manylinux2014_{machine}"]


def pip_install_argv(
    *,
    python: str,
    architecture: Architecture,
    requirements: str,
    target: str,
    python_version: str = RUNTIME_PYTHON_VERSION,
) -> list[str]:
    """The exact pip command that fills a layer's ``python/`` with the locked Linux wheels, nothing else.

    ``--require-hashes`` and ``--no-deps``: the lock file is the whole set, every file checked against
    its hash, so the layer cannot pick up a new release or a tampered file between two builds.
    """
    return [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-compile",
        "--no-deps",
        "--require-hashes",
        *(option for platform in pip_platforms(architecture) for option in ("--platform", platform)),
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--target",
        target,
        "-r",
        requirements,
    ]


def copy_code(*, root: Path, output_dir: Path) -> None:
    """Lay out the function code exactly as the handlers import it (``leakguard``, ``handlers``)."""
    shutil.copytree(
        root / "src" / "leakguard", output_dir / "leakguard", ignore=_COPY_IGNORE, dirs_exist_ok=True
    )
    shutil.copytree(root / "handlers", output_dir / "handlers", ignore=_COPY_IGNORE, dirs_exist_ok=True)
    shutil.copytree(root / "rules", output_dir / "rules", ignore=_COPY_IGNORE, dirs_exist_ok=True)
    data = output_dir / "leakguard" / "_data"
    data.mkdir(exist_ok=True)
    for rules_file in ("regex.json", "regex.schema.json"):
        shutil.copy2(root / "rules" / rules_file, data / rules_file)


def python_for(version: str) -> str | None:
    """An interpreter of ``version`` (``3.14``) on this machine: this one, else ``python3.14`` on PATH."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    return shutil.which(f"python{version}")


def compile_bytecode(directory: Path, *, python: str, strict: bool = True) -> None:
    """Write ``__pycache__`` next to every module, for the interpreter ``python``.

    Lambda's task root and ``/opt`` are read-only, so an interpreter that finds no bytecode there
    compiles every module in memory on every cold start and can never keep the result. The bytecode is
    hash-based and unchecked: the asset never changes after it is built, so the import system need not
    even look at the source's timestamp (which zip archives do not keep exactly anyway).

    ``strict=False`` (third-party packages) tolerates files that are not valid Python for this version
    (templates, tests for other versions): they stay uncompiled and are never imported.
    """
    argv = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    result = subprocess.run([*argv, str(directory)], capture_output=True, text=True, check=False)
    if result.returncode != 0 and strict:
        raise RuntimeError(f"bytecode compilation failed in {directory}:\n{result.stdout}{result.stderr}")


def warn_no_bytecode(what: str, version: str) -> None:
    """Say, during ``cdk synth``, that an asset ships without bytecode and what that costs."""
    print(
        f"leakguard: no Python {version} on this machine, so the {what} ships without bytecode: every cold "
        f"start compiles its modules in memory (slower, still correct). Install python{version} or let CDK "
        "bundle with Docker to ship it compiled.",
        file=sys.stderr,
    )
