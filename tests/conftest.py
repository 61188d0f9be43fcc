"""Fixtures shared by every tier: fake credentials, a small rule set, real git repositories."""

from __future__ import annotations

import random
import string
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leakguard import fingerprints
from leakguard.rules import RuleSet, load_rules

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _own_fingerprint_key(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads or writes the real user's key files (or caches), and no test's key leaks into
    the next."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "xdg-config"))
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "leakguard-cache"))
    monkeypatch.delenv("LEAKGUARD_FINGERPRINT_KEY", raising=False)
    monkeypatch.delenv("LEAKGUARD_FINGERPRINT_KEY_FILE", raising=False)
    saved = fingerprints._active
    yield
    fingerprints._active = saved


@pytest.fixture(scope="session")
def small_rules() -> RuleSet:
    """Four rules (one multiline, one monitor) independent of the bundled default set."""
    return load_rules(FIXTURES / "rules.json")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A random generator seeded per test, so generated credentials are reproducible."""
    return random.Random(request.node.nodeid)


def fake_aws_key(rng: random.Random) -> str:
    """A fake AWS access key id: ``AKIA`` and 16 base32 characters."""
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def fake_github_token(rng: random.Random) -> str:
    """A fake GitHub classic personal access token."""
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


class Repo:
    """A real git repository in a temporary directory, with helpers to commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Dev")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    def write(self, name: str, content: str | bytes) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    def commit(self, message: str, files: dict[str, str | bytes] | None = None) -> str:
        for name, content in (files or {}).items():
            self.write(name, content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], Repo]:
    """Factory of real git repositories under ``tmp_path``."""

    def make(name: str = "repo") -> Repo:
        return Repo(tmp_path / name)

    return make


def fake_internal_token(rng: random.Random) -> str:
    """A fake token of the in-house format of ``tests/fixtures/rules-extends.json`` (no built-in rule)."""
    return "acme_tok_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
