"""A sample repository with generated fake credentials, for the demo and for trying rules.

The credentials are random strings in the providers' formats, made fresh each time: none is real.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from leakguard.git import Git

_BASE32 = string.ascii_uppercase + "234567"
_ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def fake_aws_access_key_id() -> str:
    """``AKIA`` and 16 base32 characters, like an AWS access key id."""
    return "AKIA" + _random(_BASE32, 16)


def fake_aws_secret_access_key() -> str:
    """40 base64 characters, like an AWS secret access key."""
    return _random(_ALNUM + "+/", 40)


def fake_github_token() -> str:
    """``ghp_`` and 36 alphanumerics, like a GitHub classic personal access token."""
    return "ghp_" + _random(_ALNUM, 36)


@dataclass(frozen=True)
class SampleRepo:
    """The sample's path and the commits the demo expects findings in (or none)."""

    path: Path
    clean_commit: str
    leak_commit: str
    removal_commit: str
    placeholder_commit: str


def build_sample_repo(path: Path) -> SampleRepo:
    """Create a git repository at ``path`` (which must not exist) with a leak hidden in its history."""
    path.mkdir(parents=True)
    git = Git(path)
    git.run(["init", "-q", "-b", "main"])
    git.run(["config", "user.name", "Dee Veloper"])
    git.run(["config", "user.email", "dee@example.com"])

    def commit(files: dict[str, str | bytes], message: str) -> str:
        for name, content in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        git.run(["add", "-A"])
        git.run(["commit", "-q", "-m", message])
        return git.text(["rev-parse", "HEAD"])

    clean = commit(
        {"README.md": "# payments service\n", "app.py": "def handler(event):\n    return 200\n"},
        "Initial commit",
    )
    leak = commit(
        {
            "config/settings.py": (
                "REGION = 'eu-west-1'\n"
                f"AWS_ACCESS_KEY_ID = '{fake_aws_access_key_id()}'\n"
                f"aws_secret_access_key = '{fake_aws_secret_access_key()}'\n"
            ),
            "scripts/release.sh": f"#!/bin/sh\nexport GH_TOKEN={fake_github_token()}\n",
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + secrets.token_bytes(64),
        },
        "Add settings and release script",
    )
    (path / "config/settings.py").write_text("REGION = 'eu-west-1'\n", encoding="utf-8")
    removal = commit({}, "Remove credentials from settings")
    placeholder = commit(
        {"docs/setup.md": "Set `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE` and `GH_TOKEN=${GH_TOKEN}`.\n"},
        "Document configuration",
    )
    return SampleRepo(path, clean, leak, removal, placeholder)
