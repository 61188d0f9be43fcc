"""The CodeCommit git endpoint stand-in, through the real client: git + git-remote-codecommit + TLS."""

from __future__ import annotations

import datetime
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import botocore.credentials
import pytest
from git_remote_codecommit import git_url, sign

from leakguard.local.git_endpoint import GitEndpoint, serve_git_endpoint
from leakguard.local.sigv4 import Credentials, SignatureError, expected_signature, verify
from tests.conftest import Repo

REGION = "eu-west-1"
ROLE = Credentials(access_key="ASIAEXAMPLEROLE12345", secret_key="role-secret/+key", token="Fw0G+tok/en==")
READER = Credentials(access_key="AKIAEXAMPLEREADER123", secret_key="reader-secret")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitEndpoint]:
    with serve_git_endpoint(region=REGION, directory=tmp_path_factory.mktemp("tls")) as running:
        yield running


@pytest.fixture
def remote(endpoint: GitEndpoint, tmp_path: Path) -> Iterator[Path]:
    bare = tmp_path / "payments.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    endpoint.add_repository("payments", bare)
    endpoint.allow(ROLE)
    endpoint.allow(READER, ["GitPull"])
    yield bare
    endpoint.forget()


def _env(endpoint: GitEndpoint, home: Path, credentials: Credentials, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    env.update(
        endpoint.environment(),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', os.defpath)}",
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    if credentials.token:
        env["AWS_SESSION_TOKEN"] = credentials.token
    env.update(extra)
    return env


def _git(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], env=env, capture_output=True, text=True, check=check, timeout=60)


def _pushed_commit(tmp_path: Path) -> Repo:
    work = Repo(tmp_path / "work")
    work.commit("first", {"app.py": "print('hi')\n"})
    return work


def test_push_clone_and_fetch_through_codecommit_remotes_with_role_credentials(endpoint, remote, tmp_path):
    env = _env(endpoint, tmp_path, ROLE)
    work = _pushed_commit(tmp_path)
    _git(env, "-C", str(work.path), "push", "-q", "codecommit::eu-west-1://payments", "main")
    head = work.git("rev-parse", "HEAD")
    assert subprocess.run(["git", "-C", str(remote), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip() == head  # fmt: skip
    clone = tmp_path / "clone"
    _git(env, "clone", "-q", "codecommit::eu-west-1://payments", str(clone))
    assert _git(env, "-C", str(clone), "rev-parse", "HEAD").stdout.strip() == head
    served = [(r.action, r.access_key, r.status) for r in endpoint.requests if r.status == 200]
    assert ("GitPush", ROLE.access_key, 200) in served and ("GitPull", ROLE.access_key, 200) in served


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "signature does not match"),
        ({"AWS_SESSION_TOKEN": "another-token"}, "session token"),
        ({"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY123456"}, "unknown access key"),
    ],
)
def test_wrong_credentials_get_403_and_change_nothing(endpoint, remote, tmp_path, change, why):
    work = _pushed_commit(tmp_path)
    result = _git(
        _env(endpoint, tmp_path, ROLE, **change),
        "-C", str(work.path), "push", "codecommit::eu-west-1://payments", "main",
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "403" in result.stderr and why in result.stderr
    assert not (remote / "refs" / "heads" / "main").exists()
    assert all(r.status in (401, 403) for r in endpoint.requests)


def test_a_signature_for_another_region_is_refused(endpoint, remote, tmp_path):
    result = _git(
        _env(endpoint, tmp_path, ROLE), "clone", "codecommit::us-east-1://payments", str(tmp_path / "c"),
        check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "403" in result.stderr


def test_pull_only_credentials_can_fetch_but_not_push(endpoint, remote, tmp_path):
    work = _pushed_commit(tmp_path)
    _git(_env(endpoint, tmp_path, ROLE), "-C", str(work.path), "push", "-q",
         "codecommit::eu-west-1://payments", "main")  # fmt: skip
    reader = _env(endpoint, tmp_path, READER)
    _git(reader, "clone", "-q", "codecommit::eu-west-1://payments", str(tmp_path / "read"))
    work.commit("second")
    push = ("push", "codecommit::eu-west-1://payments", "main")
    result = _git(reader, "-C", str(work.path), *push, check=False)
    assert result.returncode != 0 and "GitPush is not allowed" in result.stderr


def test_an_unknown_repository_is_404(endpoint, remote, tmp_path):
    result = _git(
        _env(endpoint, tmp_path, ROLE), "clone", "codecommit::eu-west-1://nope", str(tmp_path / "c"),
        check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "does not exist" in result.stderr


def test_git_verifies_the_certificate_it_is_given(endpoint, remote, tmp_path):
    env = _env(endpoint, tmp_path, ROLE)
    del env["GIT_SSL_CAINFO"]
    result = _git(env, "clone", "codecommit::eu-west-1://payments", str(tmp_path / "c"), check=False)
    assert result.returncode != 0
    assert "certificate" in result.stderr.lower() or "SSL" in result.stderr
    assert endpoint.requests == []  # TLS failed before any request


def test_no_credentials_get_a_401_challenge(endpoint, remote):
    context = ssl.create_default_context(cafile=str(endpoint.certificate.ca_file))
    url = f"https://{endpoint.host}/v1/repos/payments/info/refs?service=git-upload-pack"
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(url, context=context, timeout=10)
    assert raised.value.code == 401
    assert raised.value.headers["WWW-Authenticate"].startswith("Basic")


def test_the_check_agrees_with_git_remote_codecommits_own_signer():
    """The endpoint's SigV4 arithmetic is written independently; the real signer must satisfy it."""
    creds = botocore.credentials.Credentials(ROLE.access_key, ROLE.secret_key, ROLE.token)
    url = git_url("payments", "v1", REGION, creds)
    password = url.split("@", 1)[0].rsplit(":", 1)[1]
    timestamp, signature = password.split("Z", 1)
    assert signature == expected_signature(
        ROLE, timestamp=timestamp, region=REGION, host="git-codecommit.eu-west-1.amazonaws.com",
        path="/v1/repos/payments",
    )  # fmt: skip
    assert sign("h:1", "/v1/repos/x", REGION, creds).split("Z", 1)[1] != signature


def test_old_or_future_signatures_are_refused():
    now = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC)
    for minutes, accepted in ((14, True), (16, False), (-16, False)):
        stamp = (now - datetime.timedelta(minutes=minutes)).strftime("%Y%m%dT%H%M%S")
        sig = expected_signature(READER, timestamp=stamp, region=REGION, host="h:1", path="/v1/repos/x")
        check = {"known": {READER.access_key: READER}, "region": REGION, "host": "h:1", "path": "/v1/repos/x"}
        if accepted:
            assert verify(READER.access_key, f"{stamp}Z{sig}", now=now, **check) == READER
        else:
            with pytest.raises(SignatureError, match="expired"):
                verify(READER.access_key, f"{stamp}Z{sig}", now=now, **check)
