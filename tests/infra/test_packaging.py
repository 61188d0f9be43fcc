"""Packaging without Docker: the locked pip command of the dependency layer and the code asset's copy."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from packaging.requirements import Requirement
from stacks.build_steps import DEPENDENCY_LOCK, copy_code, pip_install_argv
from stacks.packaging import (
    PROJECT_ROOT,
    RUNTIME,
    CodeBundler,
    DependencyLayerBundler,
    code_asset,
    dependency_layer_code,
)

from .conftest import Synthesized


@pytest.mark.parametrize(
    ("architecture", "machine"),
    [("arm64", "aarch64"), ("x86_64", "x86_64")],
)
def test_pip_installs_linux_wheels_of_the_lambda_architecture_only(architecture: str, machine: str) -> None:
    argv = pip_install_argv(
        python="/venv/bin/python",
        architecture=architecture,
        requirements="/out/requirements.txt",
        target="/out/python",
    )
    assert argv[:4] == ["/venv/bin/python", "-m", "pip", "install"]
    options = argv[4:]
    platforms = [options[i + 1] for i, o in enumerate(options) if o == "--platform"]
    # Exact tags: pip does not widen "manylinux_2_28" to older glibc generations by itself.
    assert platforms == [f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"manylinux2014_{machine}"]
    assert "--only-binary=:all:" in options  # never build from source for the wrong platform
    assert "--require-hashes" in options and "--no-deps" in options  # the lock file is the whole layer
    assert options[options.index("--python-version") + 1] == "3.14"
    assert options[options.index("--implementation") + 1] == "cp"
    assert options[options.index("--target") + 1] == "/out/python"  # layers unpack python/ onto sys.path
    assert options[options.index("-r") + 1] == "/out/requirements.txt"


def test_layer_bundler_targets_the_output_directory() -> None:
    bundler = DependencyLayerBundler(root=PROJECT_ROOT, architecture="arm64", python=sys.executable)
    argv = bundler.argv("/asset-output")
    assert argv[0] == sys.executable
    assert argv[argv.index("--target") + 1] == "/asset-output/python"
    assert argv[argv.index("-r") + 1] == "/asset-output/requirements.txt"


def _pins() -> dict[str, str]:
    text = DEPENDENCY_LOCK.read_text(encoding="utf-8")
    return {
        m["name"]: m["version"] for m in re.finditer(r"(?m)^(?P<name>[a-z0-9._-]+)==(?P<version>\S+)", text)
    }


def test_the_lock_pins_every_runtime_dependency_within_pyprojects_ranges_with_hashes() -> None:
    """``make lock`` regenerates it; this fails when pyproject.toml changed and the lock did not."""
    pins = _pins()
    dependencies = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for spec in map(Requirement, dependencies):
        name = spec.name.lower().replace("_", "-")
        if name == "git-remote-codecommit":
            assert name not in pins  # sdist only: the git layer carries it (build.sh pins it)
            continue
        assert name in pins, f"{name} is not in {DEPENDENCY_LOCK.name}: run make lock"
        assert spec.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} vs {spec}"
    blocks = re.split(r"(?m)^(?=[a-z0-9])", DEPENDENCY_LOCK.read_text(encoding="utf-8"))
    for block in blocks[1:]:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_layer_carries_boto3_and_botocore_together_at_the_versions_tested() -> None:
    """aws-xray-sdk needs botocore: the layer ships the whole SDK, never a botocore without its boto3."""
    pins = _pins()
    assert {"boto3", "botocore", "s3transfer", "jmespath"} <= set(pins)
    for name in ("boto3", "botocore", "pydantic", "google-re2", "aws-lambda-powertools"):
        assert importlib.metadata.version(name) == pins[name], f"the tests run {name} at another version"


def test_the_git_layer_pins_the_git_remote_codecommit_the_tests_run() -> None:
    recipe = (PROJECT_ROOT / "layers" / "git" / "build.sh").read_text()
    (pinned,) = re.findall(r"GIT_REMOTE_CODECOMMIT_VERSION=(\S+)", recipe)
    assert pinned == importlib.metadata.version("git-remote-codecommit")


def test_the_dependency_layers_asset_hash_follows_the_lock_file_and_the_architecture(tmp_path: Path) -> None:
    roots = {}
    for name, content in (("a", "six==1.17.0\n"), ("a-again", "six==1.17.0\n"), ("b", "six==1.16.0\n")):
        lock = tmp_path / name / DEPENDENCY_LOCK.relative_to(PROJECT_ROOT)
        lock.parent.mkdir(parents=True)
        lock.write_text(content)
        (lock.parent / "README.md").write_text(name)  # not part of the layer: must not change the hash
        roots[name] = lock.parents[2]
    app = cdk.App(outdir=str(tmp_path / "out"), context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Layers")
    cases = [("a", "arm64"), ("a-again", "arm64"), ("b", "arm64"), ("a", "x86_64")]
    for i, (root, arch) in enumerate(cases):
        lambda_.LayerVersion(stack, f"L{i}", code=dependency_layer_code(architecture=arch, root=roots[root]))
    template = app.synth().get_stack_by_name("Layers").template
    keys = [template["Resources"][k]["Properties"]["Content"]["S3Key"] for k in
            sorted(k for k in template["Resources"] if k.startswith("L"))]  # fmt: skip
    assert keys[0] == keys[1]  # same lock, same layer
    assert len({keys[0], keys[2], keys[3]}) == 3  # another lock or architecture: another layer


def test_code_copy_lays_out_leakguard_handlers_and_bundled_rules(tmp_path: Path) -> None:
    copy_code(root=PROJECT_ROOT, output_dir=tmp_path)
    assert (tmp_path / "leakguard" / "__init__.py").is_file()
    assert (tmp_path / "handlers").is_dir()
    assert (tmp_path / "rules" / "regex.json").is_file()
    # Where the wheel puts them, so the loader's bundled default works in Lambda too.
    bundled = tmp_path / "leakguard" / "_data" / "regex.json"
    assert json.loads(bundled.read_text()) == json.loads((PROJECT_ROOT / "rules" / "regex.json").read_text())
    assert not list(tmp_path.rglob("__pycache__"))  # no stale bytecode of the developer's interpreter
    assert not (tmp_path / "tests").exists() and not (tmp_path / ".venv").exists()


def test_the_code_asset_ships_unchecked_hash_bytecode_for_the_runtimes_python(tmp_path: Path) -> None:
    """Lambda's task root is read-only: bytecode must be in the asset, valid whatever the file times."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"  # stands in for the runtime's 3.14
    assert CodeBundler(root=PROJECT_ROOT, python_version=version).try_bundle(str(tmp_path)) is True
    sources = [p for p in tmp_path.rglob("*.py")]
    tag = sys.implementation.cache_tag
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        header = compiled.read_bytes()[:16]
        assert int.from_bytes(header[4:8], "little") == 0b01, f"{compiled} is not unchecked-hash bytecode"
        assert header[8:16] == importlib.util.source_hash(source.read_bytes())
    assert len(sources) > 50


def test_copied_code_imports_and_loads_its_bundled_rules(tmp_path: Path) -> None:
    import subprocess

    copy_code(root=PROJECT_ROOT, output_dir=tmp_path)
    script = (
        "import leakguard.rules as r, leakguard; print(leakguard.__file__); "
        "print(len(r.load_rules(r.default_rules_path()).rules))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {script}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    path, count = result.stdout.split()
    assert path.startswith(str(tmp_path))
    assert int(count) > 0


def test_functions_share_one_code_asset_and_layers_are_arch_specific(synthesized: Synthesized) -> None:
    for stack, arch in (("AllRepos", "arm64"), ("Listed", "x86_64")):
        template = synthesized.templates[stack]
        functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        assert len({json.dumps(f["Properties"]["Code"], sort_keys=True) for f in functions}) == 1
        layers = [
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Lambda::LayerVersion"
        ]
        assert len(layers) == 2
        for layer in layers:
            assert layer["CompatibleArchitectures"] == [arch]
            assert layer["CompatibleRuntimes"] == ["python3.14"]


def test_code_asset_bundles_locally_through_jsii(tmp_path: Path) -> None:
    """CDK calls ``try_bundle`` across jsii: a real (copy-only) bundling run, no Docker, no network."""
    app = cdk.App(outdir=str(tmp_path / "out"))
    stack = cdk.Stack(app, "Bundled")
    lambda_.Function(stack, "Fn", runtime=RUNTIME, handler="handlers.notify.handler", code=code_asset())
    app.synth()
    (asset,) = [p for p in (tmp_path / "out").iterdir() if p.name.startswith("asset.")]
    assert (asset / "leakguard" / "_data" / "regex.json").is_file()
    assert (asset / "handlers").is_dir()
    assert not (asset / ".venv").exists() and not (asset / "tests").exists()
