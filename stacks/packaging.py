"""How the Lambda code, its Python dependencies and the git binary become assets, without Docker.

* The code asset is a plain copy of ``src/leakguard`` (importable as ``leakguard``), ``handlers/`` and
  ``rules/``; the rules are also copied to ``leakguard/_data/`` where the wheel puts them, so the loader's
  bundled default works the same in Lambda as after ``pip install``.
* The dependency layer is ``pip install --platform manylinux_2_28_<arch> --only-binary=:all:
  --require-hashes --no-deps -r layers/dependencies/requirements.txt`` into ``python/``: every dependency
  ships manylinux wheels, so no container is needed to get Linux binaries for the Lambda architecture,
  and the lock file pins every package and file, so two builds give the same layer. The asset hash
  covers the lock file and this recipe.
* Both are shipped with bytecode compiled for the runtime's Python when this machine has that Python
  (Lambda's task root and ``/opt`` are read-only: without it every cold start compiles in memory); the
  Docker fallback always compiles, its image has the runtime's Python.
* The git layer needs git built for Amazon Linux 2023, so it bundles in Docker with the recipe in
  ``layers/git/`` (or is given as an existing layer ARN through the ``gitLayerArn`` context key).

The build steps themselves are in :mod:`stacks.build_steps`, shared with the Lambda-layout tests.
Bundling only happens for stacks CDK is asked to bundle: tests pass ``aws:cdk:bundling-stacks: []``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from .build_steps import (
    DEPENDENCY_LOCK,
    PROJECT_ROOT,
    RUNTIME_PYTHON_VERSION,
    compile_bytecode,
    copy_code,
    pip_install_argv,
    python_for,
    warn_no_bytecode,
)
from .config import Architecture

PYTHON_VERSION = RUNTIME_PYTHON_VERSION
RUNTIME = lambda_.Runtime.PYTHON_3_14
# A change to how assets are built must change their hashes too, not only a change to their sources:
# the recipe's own digest is part of the bundling options CDK hashes.
_RECIPE = hashlib.sha256(
    b"".join((Path(__file__).read_bytes(), (Path(__file__).parent / "build_steps.py").read_bytes()))
).hexdigest()[:16]
_COMPILE = "python -m compileall -q -j 0 --invalidation-mode unchecked-hash"


def lambda_architecture(architecture: Architecture) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if architecture == "arm64" else lambda_.Architecture.X86_64


@jsii.implements(ILocalBundling)
class CodeBundler:
    """Local bundling of the function code: a file copy, then bytecode; no Docker, no pip."""

    def __init__(self, *, root: Path, python_version: str = RUNTIME_PYTHON_VERSION) -> None:
        self._root = root
        self._python_version = python_version

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:  # jsii passes the options too
        copy_code(root=self._root, output_dir=Path(output_dir))
        python = python_for(self._python_version)
        if python is None:
            warn_no_bytecode("code asset", self._python_version)
        else:
            compile_bytecode(Path(output_dir), python=python)
        return True


@jsii.implements(ILocalBundling)
class DependencyLayerBundler:
    """Local bundling of the dependency layer with this machine's pip and ``--platform`` wheels."""

    def __init__(
        self,
        *,
        root: Path,
        architecture: Architecture,
        python: str = sys.executable,
        python_version: str = RUNTIME_PYTHON_VERSION,
        lock: Path = DEPENDENCY_LOCK,
    ) -> None:
        self._root = root
        self._architecture = architecture
        self._python = python
        self._python_version = python_version
        self._lock = lock

    def argv(self, output_dir: str) -> list[str]:
        return pip_install_argv(
            python=self._python,
            architecture=self._architecture,
            requirements=str(Path(output_dir) / "requirements.txt"),
            target=str(Path(output_dir) / "python"),
            python_version=self._python_version,
        )

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:  # jsii passes the options too
        # Kept in the layer on purpose: /opt/requirements.txt records what the layer was built from.
        (Path(output_dir) / "requirements.txt").write_bytes(self._lock.read_bytes())
        subprocess.run(self.argv(output_dir), check=True)
        python = python_for(self._python_version)
        if python is None:
            warn_no_bytecode("dependency layer", self._python_version)
        else:
            compile_bytecode(Path(output_dir) / "python", python=python, strict=False)
        return True


def _only(*keep: str) -> list[str]:
    """Asset excludes that keep just ``keep``: fingerprinting must not walk .venv or .git."""
    return ["*", *(f"!{k}" for k in keep)]


def code_asset(*, root: Path = PROJECT_ROOT) -> lambda_.Code:
    """The one code asset every function uses; its hash follows the bundled output."""
    return lambda_.Code.from_asset(
        str(root),
        exclude=_only(
            "src", "src/leakguard", "src/leakguard/**", "handlers", "handlers/**", "rules", "rules/**"
        ),
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=CodeBundler(root=root),  # type: ignore[arg-type]  # jsii passes options positionally
            environment={"LEAKGUARD_RECIPE": _RECIPE},
            # Docker fallback, used only if local bundling is unavailable: the same copy in a container.
            command=[
                "bash",
                "-c",
                "cp -r src/leakguard handlers rules /asset-output/ && mkdir -p /asset-output/leakguard/_data"
                " && cp rules/regex.json rules/regex.schema.json /asset-output/leakguard/_data/"
                f" && {_COMPILE} /asset-output",
            ],
        ),
    )


def dependency_layer_code(*, architecture: Architecture, root: Path = PROJECT_ROOT) -> lambda_.Code:
    """The third-party layer (``/opt/python``): exactly the lock file; rebuilt whenever the lock changes."""
    lock = DEPENDENCY_LOCK.relative_to(PROJECT_ROOT)
    bundler = DependencyLayerBundler(root=root, architecture=architecture, lock=root / lock)
    return lambda_.Code.from_asset(
        str(root / lock.parent),
        exclude=_only(lock.name),
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=bundler,  # type: ignore[arg-type]  # jsii passes options positionally, see try_bundle
            platform=lambda_architecture(architecture).docker_platform,
            environment={"LEAKGUARD_RECIPE": _RECIPE},
            command=[
                "bash",
                "-c",
                f"cp /asset-input/{lock.name} /asset-output/requirements.txt"
                " && pip install --only-binary=:all: --require-hashes --no-deps --no-compile"
                f" --target /asset-output/python -r /asset-input/{lock.name}"
                f" && ({_COMPILE} /asset-output/python || true)",
            ],
        ),
    )


def git_layer_code(*, architecture: Architecture, root: Path = PROJECT_ROOT) -> lambda_.Code:
    """The git layer, built by ``layers/git/build.sh`` inside Amazon Linux 2023 for the architecture."""
    return lambda_.Code.from_asset(
        str(root / "layers" / "git"),
        exclude=["__pycache__", "*.pyc", ".keep"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry("public.ecr.aws/amazonlinux/amazonlinux:2023"),
            platform=lambda_architecture(architecture).docker_platform,
            command=["bash", "/asset-input/build.sh", "--install", "/asset-output"],
            user="root",  # dnf needs root; CDK otherwise runs the container as the invoking user
        ),
    )
