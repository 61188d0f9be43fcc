"""How the Lambda code, its Python dependencies and the git binary become assets, without Docker.

* The code asset is a plain copy of ``src/leakguard`` (importable as ``leakguard``), ``handlers/`` and
  ``rules/``; the rules are also copied to ``leakguard/_data/`` where the wheel puts them, so the loader's
  bundled default works the same in Lambda as after ``pip install``.
* The dependency layer is ``pip install --platform manylinux_2_28_<arch> --only-binary=:all:`` into
  ``python/``: every dependency (google-re2 included) ships manylinux wheels, so no container is needed
  to get Linux binaries for the Lambda architecture. Its requirements are read from ``pyproject.toml``
  at bundling time, so the layer can never disagree with what the tests ran against.
* The git layer needs git built for Amazon Linux 2023, so it bundles in Docker with the recipe in
  ``layers/git/`` (or is given as an existing layer ARN through the ``gitLayerArn`` context key).

Bundling only happens for stacks CDK is asked to bundle: tests pass ``aws:cdk:bundling-stacks: []``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from .config import Architecture

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.14"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# Not in the dependency layer: the Lambda runtime ships boto3/botocore (bundling our own would add
# 20 MB to every cold start), and git-remote-codecommit is published as an sdist only, so it cannot be
# installed with --only-binary; the git layer carries it (pure Python, built by layers/git/build.sh).
PROVIDED_ELSEWHERE = frozenset({"boto3", "botocore", "git-remote-codecommit"})
_MACHINES: dict[str, str] = {"arm64": "aarch64", "x86_64": "x86_64"}
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".keep", ".mypy_cache")


def lambda_architecture(architecture: Architecture) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if architecture == "arm64" else lambda_.Architecture.X86_64


def pip_platforms(architecture: Architecture) -> list[str]:
    """Wheel platform tags Lambda's Amazon Linux 2023 (glibc 2.34) runs, newest first.

    pip matches ``--platform`` tags exactly, not "this glibc or older": google-re2 publishes
    manylinux_2_28 wheels while pydantic-core publishes manylinux_2_17 (alias manylinux2014) ones, so
    both generations are listed.
    """
    machine = _MACHINES[architecture]
    return [f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"manylinux2014_{machine}"]


def pip_install_argv(*, python: str, architecture: Architecture, requirements: str, target: str) -> list[str]:
    """The exact pip command that fills a layer's ``python/`` directory with Linux wheels only."""
    return [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-compile",
        *(option for platform in pip_platforms(architecture) for option in ("--platform", platform)),
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        target,
        "-r",
        requirements,
    ]


def lambda_requirements(pyproject: Path) -> list[str]:
    """The project's runtime dependencies minus what the runtime or the git layer provides."""
    deps: list[str] = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]

    def name(spec: str) -> str:
        for sep in "<>=!~;[ ":
            spec = spec.split(sep, 1)[0]
        return spec.strip().lower().replace("_", "-")

    return [d for d in deps if name(d) not in PROVIDED_ELSEWHERE]


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


@jsii.implements(ILocalBundling)
class CodeBundler:
    """Local bundling of the function code: a file copy, no Docker, no pip."""

    def __init__(self, *, root: Path) -> None:
        self._root = root

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:  # jsii passes the options too
        copy_code(root=self._root, output_dir=Path(output_dir))
        return True


@jsii.implements(ILocalBundling)
class DependencyLayerBundler:
    """Local bundling of the dependency layer with this machine's pip and ``--platform`` wheels."""

    def __init__(self, *, root: Path, architecture: Architecture, python: str = sys.executable) -> None:
        self._root = root
        self._architecture = architecture
        self._python = python

    def argv(self, output_dir: str) -> list[str]:
        out = Path(output_dir)
        return pip_install_argv(
            python=self._python,
            architecture=self._architecture,
            requirements=str(out / "requirements.txt"),
            target=str(out / "python"),
        )

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:  # jsii passes the options too
        requirements = lambda_requirements(self._root / "pyproject.toml")
        # Kept in the layer on purpose: /opt/requirements.txt records what the layer was built from.
        (Path(output_dir) / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        subprocess.run(self.argv(output_dir), check=True)
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
            # Docker fallback, used only if local bundling is unavailable: the same copy in a container.
            command=[
                "bash",
                "-c",
                "cp -r src/leakguard handlers rules /asset-output/ && mkdir -p /asset-output/leakguard/_data"
                " && cp rules/regex.json rules/regex.schema.json /asset-output/leakguard/_data/",
            ],
        ),
    )


def dependency_layer_code(*, architecture: Architecture, root: Path = PROJECT_ROOT) -> lambda_.Code:
    """The third-party layer (``/opt/python``); rebuilt whenever ``pyproject.toml`` changes."""
    bundler = DependencyLayerBundler(root=root, architecture=architecture)
    return lambda_.Code.from_asset(
        str(root),
        exclude=_only("pyproject.toml"),
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=bundler,  # type: ignore[arg-type]  # jsii passes options positionally, see try_bundle
            platform=lambda_architecture(architecture).docker_platform,
            command=[
                "bash",
                "-c",
                "python -c \"import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))"
                "['project']['dependencies']; "
                "print('\\n'.join(d for d in deps"
                " if not d.startswith(('boto3', 'botocore', 'git-remote-codecommit'))))\""
                " > /tmp/requirements.txt"
                " && pip install --only-binary=:all: --target /asset-output/python -r /tmp/requirements.txt",
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
