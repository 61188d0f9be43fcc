"""The handlers reach the repository the way they do in AWS: codecommit:: remotes, SigV4, TLS."""

from __future__ import annotations

import socket

import pytest

from leakguard.settings import InspectorSettings
from tests.conftest import fake_aws_key


def test_inspector_fetches_and_reset_pushes_through_the_signed_codecommit_transport(pipeline, rng):
    assert InspectorSettings.from_env().remote_for("app") == "codecommit::us-east-1://app"
    dev = pipeline.repository()
    base = dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main")
    dev.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    assert pipeline.deliver(event)["reset"]["status"] == "reset"
    assert pipeline.remote_ref("app", "refs/heads/main") == base

    signed = [(r.repository, r.action) for r in pipeline.endpoint.requests if r.status == 200]
    assert ("app", "GitPull") in signed and ("app", "GitPush") in signed
    # Every authenticated request carried this test's role credentials, nothing else.
    keys = {r.access_key for r in pipeline.endpoint.requests if r.access_key}
    assert keys == {pipeline.endpoint_credentials.access_key}


def test_a_function_without_the_endpoints_trust_fails_loudly(pipeline, monkeypatch):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    event = pipeline.push(dev, "main", "refs/heads/main")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-key-the-endpoint-never-saw")
    with pytest.raises(Exception, match="403"):
        pipeline.inspect(event)


def test_this_process_may_reach_the_git_endpoint_and_nothing_else(pipeline):
    with socket.create_connection(pipeline.endpoint.address, timeout=5):
        pass
    with pytest.raises(RuntimeError, match="must not open network connections"):
        socket.create_connection(("127.0.0.1", pipeline.endpoint.address[1] + 1), timeout=5)
