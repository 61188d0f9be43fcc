"""The git layer recipe, exercised with this machine's git: build it, move it, clone through it.

In a deployment the same ``build.sh`` runs inside Amazon Linux 2023 (CDK's Docker bundling); here it
packages the git already installed, which tests everything but the ``dnf``/``pip`` download step:
the layout, the wrapper's environment, the shared libraries and the dashed programs git needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RECIPE = Path(__file__).parents[2] / "layers" / "git"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git on this machine")


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer built by the recipe, then moved: it must not depend on where it was built."""
    built = tmp_path_factory.mktemp("build") / "layer"
    _run("bash", RECIPE / "build.sh", built)
    opt = tmp_path_factory.mktemp("unpacked") / "opt"
    shutil.move(built, opt)
    return opt


@pytest.fixture
def bare_repo(tmp_path: Path) -> tuple[Path, str]:
    work = tmp_path / "work"
    _run("git", "init", "-q", "-b", "main", work)
    (work / "app.py").write_text("print('hello')\n")
    for cmd in (
        ("config", "user.email", "dev@example.com"),
        ("config", "user.name", "Dev"),
        ("add", "app.py"),
        ("commit", "-q", "-m", "first"),
    ):
        _run("git", "-C", work, *cmd)
    bare = tmp_path / "remote.git"
    _run("git", "clone", "-q", "--bare", work, bare)
    return bare, _run("git", "-C", work, "rev-parse", "HEAD")


def _layer_env(layer: Path, home: Path) -> dict[str, str]:
    """What Lambda gives a function: /opt/bin first on PATH, HOME=/tmp (here a temporary home)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(PATH=f"{layer / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}", HOME=str(home))
    return env


def test_layout_matches_what_lambda_expects_under_opt(layer: Path) -> None:
    assert os.access(layer / "bin" / "git", os.X_OK)
    assert os.access(layer / "bin" / "git-remote-codecommit", os.X_OK)
    assert os.access(layer / "libexec" / "git-core" / "git", os.X_OK)
    for dashed in ("git-upload-pack", "git-receive-pack"):
        assert (layer / "libexec" / "git-core" / dashed).exists()
    assert (layer / "share" / "git-core" / "templates").is_dir()
    libs = {p.name.split(".so")[0] for p in (layer / "lib").iterdir()}
    assert not {"libc", "libm", "libpthread", "libdl"} & libs, "glibc must come from the runtime"


def test_wrapper_points_git_at_the_layer(layer: Path, tmp_path: Path) -> None:
    env = _layer_env(layer, tmp_path)
    assert _run("git", "--exec-path", env=env) == str((layer / "libexec" / "git-core").resolve())
    assert _run("git", "--version", env=env).startswith("git version ")


def test_clone_fetch_bundle_and_push_through_the_wrapper(
    layer: Path, bare_repo: tuple[Path, str], tmp_path: Path
) -> None:
    bare, head = bare_repo
    env = _layer_env(layer, tmp_path)
    clone = tmp_path / "clone"
    _run("git", "clone", "-q", f"file://{bare}", clone, env=env)
    assert _run("git", "-C", clone, "rev-parse", "HEAD", env=env) == head
    # What reset does: bundle the commits it removes, then push with a lease.
    _run("git", "-C", clone, "bundle", "create", tmp_path / "q.bundle", "main", env=env)
    assert head in _run("git", "bundle", "list-heads", tmp_path / "q.bundle", env=env)
    _run("git", "-C", clone, "-c", "user.email=bot@example.com", "-c", "user.name=bot",
         "commit", "-q", "--allow-empty", "-m", "second", env=env)  # fmt: skip
    _run("git", "-C", clone, "push", "-q", f"--force-with-lease=main:{head}", "origin", "main", env=env)
    assert _run("git", "-C", bare, "rev-parse", "main") != head


def test_recipe_requires_an_output_directory() -> None:
    result = subprocess.run(["bash", RECIPE / "build.sh"], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "usage" in result.stderr
