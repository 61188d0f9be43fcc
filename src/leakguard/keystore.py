"""Where the fingerprint key comes from: Secrets Manager in the functions, a chain of places in the CLI.

The stack creates one random key per deployment in Secrets Manager (``leakguard/fingerprint-key``).
The inspector and reset read it at cold start. People and CI get the same key so their fingerprints
match the bot's, in this order:

1. ``--fingerprint-key-file PATH`` on the command line;
2. ``LEAKGUARD_FINGERPRINT_KEY`` (the key itself, e.g. a CI secret variable);
3. ``LEAKGUARD_FINGERPRINT_KEY_FILE`` (a path);
4. the user's key file, written by ``leakguard key pull`` (``~/.config/leakguard/fingerprint.key``);
5. otherwise a key generated once for this user (``local-fingerprint.key``): stable on this machine,
   unknown to the bot, and said so wherever it matters (``scan --write-ignore``, ``key show``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leakguard.errors import ConfigError
from leakguard.fingerprints import FingerprintKey

logger = logging.getLogger(__name__)

KEY_ENV = "LEAKGUARD_FINGERPRINT_KEY"
KEY_FILE_ENV = "LEAKGUARD_FINGERPRINT_KEY_FILE"
#: The Secrets Manager secret the stack creates (its name; the ARN works too).
DEFAULT_SECRET_ID = "leakguard/fingerprint-key"  # noqa: S105 - a name, not a password
DEPLOYMENT_KEY_FILE = "fingerprint.key"
LOCAL_KEY_FILE = "local-fingerprint.key"


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/leakguard``, else ``~/.config/leakguard``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "leakguard"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/leakguard``, else ``~/.cache/leakguard``: what can be rebuilt any time."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "leakguard"


def cli_key(key_file: str | None = None, environ: Mapping[str, str] | None = None) -> FingerprintKey:
    """The CLI's fingerprint key, from the first place of the chain above that has one."""
    env = os.environ if environ is None else environ
    if key_file:
        return read_key_file(Path(key_file), source=f"--fingerprint-key-file {key_file}")
    if env.get(KEY_ENV):
        return FingerprintKey.from_text(env[KEY_ENV], source=f"${KEY_ENV}")
    if env.get(KEY_FILE_ENV):
        return read_key_file(Path(env[KEY_FILE_ENV]), source=f"${KEY_FILE_ENV}")
    directory = config_dir(env)
    pulled = directory / DEPLOYMENT_KEY_FILE
    if pulled.is_file():
        return read_key_file(pulled, source=str(pulled))
    return _local_key(directory / LOCAL_KEY_FILE)


def read_key_file(path: Path, *, source: str, shared: bool = True) -> FingerprintKey:
    """A key from a file (first non-empty line); a one-line error when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read fingerprint key file {path}: {reason}") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise ConfigError(f"fingerprint key file {path} is empty")
    return FingerprintKey.from_text(lines[0], source=source, shared=shared)


def write_key_file(path: Path, key_text: str, *, comment: str) -> None:
    """Write a key readable by its owner only (created 0600, never widened afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# {comment}\n{key_text.strip()}\n")
    os.chmod(path, 0o600)


def _local_key(path: Path) -> FingerprintKey:
    source = f"{path} (local to this machine)"
    if path.is_file():
        return read_key_file(path, source=source, shared=False)
    key = FingerprintKey.generate(source=source, shared=False)
    try:
        write_key_file(
            path,
            key.material.decode("ascii"),
            comment="leakguard: generated key; run `leakguard key pull` to use your deployment's key",
        )
    except OSError as exc:
        logger.warning("cannot store a local fingerprint key (%s): fingerprints change every run", exc)
        return FingerprintKey.generate(source="ephemeral (this run only)", shared=False)
    logger.warning(
        "no fingerprint key configured: generated %s; the bot will not recognise its fingerprints "
        "until you run `leakguard key pull`",
        path,
    )
    return key


def deployment_key(secret_id: str, *, client: Any | None = None) -> FingerprintKey:
    """The deployment's key from Secrets Manager (functions at cold start, ``leakguard key pull``)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    secrets = client or boto3.client("secretsmanager")
    try:
        value = secrets.get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise ConfigError(f"cannot read the fingerprint key secret {secret_id}: {exc}") from exc
    text = value.get("SecretString")
    if not isinstance(text, str):
        raise ConfigError(f"fingerprint key secret {secret_id} holds no SecretString")
    return FingerprintKey.from_text(text, source=f"secret {secret_id}")
