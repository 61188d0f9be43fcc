"""The inspector's clone cache in /tmp is bounded: least recently used clones go first, the one in use never.

Real repositories through the ``codecommit::`` transport (the handler harness); every assertion is about
what is on disk, never about time. Full clones here, whose sizes do not depend on what a push needs
(partial clones: ``test_partial_clone.py``).
"""

from __future__ import annotations

import json

import pytest

from leakguard.inspection.disk import disk_usage
from tests.conftest import fake_aws_key

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _full_clones(pipeline, monkeypatch):
    monkeypatch.setenv("LEAKGUARD_PARTIAL_CLONE", "false")
    pipeline.cold_start("inspector")


def _repository_with_large_history(pipeline, rng, name):
    """A repository whose history carries an incompressible 400 KB file (a clone of ~0.4 MB)."""
    dev = pipeline.repository(name)
    dev.commit("assets", {"asset.bin": rng.randbytes(400_000)})
    dev.commit("base", {"app.py": "x = 1\n"})
    return dev


def _cache(pipeline):
    return pipeline.tmp / "lambda-tmp" / "inspector"


def _clones(pipeline):
    return sorted(p.name.removesuffix(".git") for p in _cache(pipeline).glob("*.git"))


def _with_budget(pipeline, monkeypatch, budget_bytes):
    """A new inspector sandbox whose cache may take ``budget_bytes``."""
    monkeypatch.setenv("LEAKGUARD_CLONE_BUDGET_MB", str(budget_bytes / MIB))
    pipeline.cold_start("inspector")


def test_least_recently_used_clones_are_evicted_so_the_cache_stays_within_its_budget(
    pipeline, rng, monkeypatch
):
    devs = {name: _repository_with_large_history(pipeline, rng, name) for name in ("app", "svc", "quiet")}
    pipeline.inspect(pipeline.push(devs["app"], "main", "refs/heads/main", name="app"))
    one = disk_usage(_cache(pipeline) / "app.git")
    budget = int(2.5 * one)  # room for two such clones, not three
    _with_budget(pipeline, monkeypatch, budget)

    result = pipeline.inspect(pipeline.push(devs["svc"], "main", "refs/heads/main", name="svc"))
    assert _clones(pipeline) == ["app", "svc"] and "clones_evicted" not in result
    result = pipeline.inspect(pipeline.push(devs["quiet"], "main", "refs/heads/main", name="quiet"))
    assert _clones(pipeline) == ["quiet", "svc"]  # app was the least recently used
    assert result["clones_evicted"] == 1
    assert disk_usage(_cache(pipeline)) <= budget

    # app again: cloned afresh (its record survives), svc is now the least recently used.
    devs["app"].commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(devs["app"], "main", "refs/heads/main", name="app"))
    assert result["status"] == "incident" and result["commits"] == 1
    assert _clones(pipeline) == ["app", "quiet"]
    assert disk_usage(_cache(pipeline)) <= budget


def test_a_clone_larger_than_the_budget_is_still_scanned_and_reported(
    pipeline, rng, monkeypatch, capsys, caplog
):
    devs = {name: _repository_with_large_history(pipeline, rng, name) for name in ("app", "svc")}
    pipeline.inspect(pipeline.push(devs["svc"], "main", "refs/heads/main", name="svc"))
    _with_budget(pipeline, monkeypatch, disk_usage(_cache(pipeline) / "svc.git") // 2)
    capsys.readouterr()

    devs["app"].commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(devs["app"], "main", "refs/heads/main", name="app"))
    assert result["status"] == "incident" and result["clone_over_budget"] is True
    assert _clones(pipeline) == ["app"]  # the other clone made what room it could; this one is kept
    out = capsys.readouterr().out
    assert any("clone alone exceeds the clone cache budget" in r.getMessage() for r in caplog.records)
    metrics = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    assert any(m.get("CloneOverBudget") == [1.0] for m in metrics)
    assert any(m.get("ClonesEvicted") == [1.0] for m in metrics)

    # The next push of another repository evicts the oversized clone first.
    devs["svc"].commit("more", {"b.py": "y = 2\n"})
    pipeline.inspect(pipeline.push(devs["svc"], "main", "refs/heads/main", name="svc"))
    assert _clones(pipeline) == ["svc"]
