"""Packaging without Docker: the pip command of the dependency layer and the code asset's copy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from stacks.packaging import (
    PROJECT_ROOT,
    RUNTIME,
    CodeBundler,
    DependencyLayerBundler,
    code_asset,
    copy_code,
    lambda_requirements,
    pip_install_argv,
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


def test_layer_requirements_come_from_pyproject_minus_what_runtime_and_git_layer_provide(
    tmp_path: Path,
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\n'
        'dependencies = ["boto3>=1.34", "botocore", "google-re2>=1.1", "git_remote_codecommit>=1.17",'
        ' "Pydantic[email]>=2"]\n'
    )
    assert lambda_requirements(pyproject) == ["google-re2>=1.1", "Pydantic[email]>=2"]
    real = lambda_requirements(PROJECT_ROOT / "pyproject.toml")
    assert any(r.startswith("google-re2") for r in real)
    assert not any(r.startswith("boto3") for r in real)


def test_code_copy_lays_out_leakguard_handlers_and_bundled_rules(tmp_path: Path) -> None:
    assert CodeBundler(root=PROJECT_ROOT).try_bundle(str(tmp_path)) is True
    assert (tmp_path / "leakguard" / "__init__.py").is_file()
    assert (tmp_path / "handlers").is_dir()
    assert (tmp_path / "rules" / "regex.json").is_file()
    # Where the wheel puts them, so the loader's bundled default works in Lambda too.
    bundled = tmp_path / "leakguard" / "_data" / "regex.json"
    assert json.loads(bundled.read_text()) == json.loads((PROJECT_ROOT / "rules" / "regex.json").read_text())
    assert not list(tmp_path.rglob("__pycache__"))
    assert not (tmp_path / "tests").exists() and not (tmp_path / ".venv").exists()


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
