import hashlib
import os
import stat

import pytest

from leakguard import fingerprints
from leakguard.errors import ConfigError
from leakguard.fingerprints import FingerprintKey, location_fingerprint, normalise_path
from leakguard.keystore import DEPLOYMENT_KEY_FILE, LOCAL_KEY_FILE, cli_key, config_dir, write_key_file

KEY = FingerprintKey.from_text("k" * 16 + "0123456789abcdef", source="test")


def test_keyed_fingerprint_is_stable_per_key_and_path():
    value = KEY.fingerprint("src/a.py", "hunter2")
    assert value == KEY.fingerprint("./src//a.py", "hunter2") == KEY.fingerprint("src\\a.py", "hunter2")
    assert len(value) == 32 and int(value, 16) >= 0
    assert value != KEY.fingerprint("src/b.py", "hunter2")
    other = FingerprintKey.from_text("another-key-0123456789", source="test")
    assert value != other.fingerprint("src/a.py", "hunter2")


def test_a_weak_password_cannot_be_recovered_without_the_key():
    """The obvious attacks on a leaked fingerprint (plain digests of candidate passwords) find nothing."""
    value = KEY.fingerprint("config.py", "hunter2")
    for candidate in ("hunter2", "config.py\x00hunter2", "leakguard/fingerprint/v2\x00config.py\x00hunter2"):
        for algorithm in ("sha256", "sha1", "md5"):
            assert hashlib.new(algorithm, candidate.encode()).hexdigest()[:32] != value
    # Only the key holder can test a guess.
    assert (
        FingerprintKey.from_text("guessed-key-000000000", source="x").fingerprint("config.py", "hunter2")
        != value
    )


def test_key_id_names_the_key_without_revealing_it():
    assert len(KEY.key_id) == 8
    assert KEY.key_id != FingerprintKey.from_text("another-key-0123456789", source="t").key_id
    assert KEY.key_id not in KEY.material.decode()


def test_short_keys_are_refused():
    with pytest.raises(ConfigError, match="too short"):
        FingerprintKey.from_text("short", source="$LEAKGUARD_FINGERPRINT_KEY")


def test_location_fingerprint_is_the_old_scheme():
    material = "\x00".join(("leakguard/v1", "rule", "c" * 40, "a.py", "3"))
    assert (
        location_fingerprint("rule", "a.py", 3, "c" * 40)
        == hashlib.sha256(material.encode()).hexdigest()[:32]
    )


def test_unconfigured_process_uses_an_ephemeral_key(monkeypatch):
    monkeypatch.setattr(fingerprints, "_active", None)
    assert not fingerprints.active_key().shared
    assert fingerprints.active_key() is fingerprints.active_key()


def test_normalise_path():
    assert normalise_path("./a/./b//c") == "a/b/c"


def test_cli_key_chain(tmp_path, monkeypatch):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    explicit = tmp_path / "explicit.key"
    explicit.write_text("# comment\nexplicit-key-0123456789\n")
    pulled = config_dir(env) / DEPLOYMENT_KEY_FILE
    write_key_file(pulled, "pulled-key-0123456789", comment="pulled")
    assert stat.S_IMODE(os.stat(pulled).st_mode) == 0o600
    assert cli_key(str(explicit), env).material == b"explicit-key-0123456789"
    assert cli_key(None, {**env, "LEAKGUARD_FINGERPRINT_KEY": "env-key-0123456789ab"}).material == (
        b"env-key-0123456789ab"
    )
    assert cli_key(None, {**env, "LEAKGUARD_FINGERPRINT_KEY_FILE": str(explicit)}).source.endswith("_FILE")
    assert cli_key(None, env).material == b"pulled-key-0123456789" and cli_key(None, env).shared
    pulled.unlink()
    local = cli_key(None, env)
    assert not local.shared and (config_dir(env) / LOCAL_KEY_FILE).is_file()
    assert cli_key(None, env).material == local.material  # generated once, then reused


def test_unreadable_key_file_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read fingerprint key file"):
        cli_key(str(tmp_path / "missing.key"), {})
