"""A cold inspector clones blobless and fetches only the blobs the push needs; what it finds is the same.

Repositories shaped like a large one (many large incompressible files in old history), behind the
``codecommit::`` transport; assertions on objects and bytes in the clone, never on time. The
git endpoint stand-in serves filters and protocol v2 by default; CodeCommit's support for either is
not documented, so the fallbacks (filter ignored, blobs by id refused) are tested too.
"""

from __future__ import annotations

import boto3

from leakguard.events.codecommit import parse_codecommit_event
from leakguard.git import Git
from leakguard.inspection.clone import is_partial
from leakguard.inspection.disk import disk_usage
from leakguard.runtime import build_inspector
from leakguard.settings import InspectorSettings
from tests.conftest import fake_aws_key
from tests.handlers.conftest import REGION

LARGE_FILES = 12
LARGE_FILE_BYTES = 150_000


def _large_repository(pipeline, rng, name="app"):
    """History with LARGE_FILES large files (rewritten once each), then a clean first push seen."""
    dev = pipeline.repository(name)
    for index in range(LARGE_FILES):
        dev.commit(f"asset {index}", {f"assets/a{index % 4}.bin": rng.randbytes(LARGE_FILE_BYTES)})
    dev.commit("base", {"app.py": "x = 1\n"})
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", name=name))["status"] == "clean"
    return dev


def _cold_inspector(pipeline, label, *, partial):
    """A new sandbox: empty /tmp, clones partial or full."""
    settings = InspectorSettings.from_env().model_copy(
        update={"clone_root": str(pipeline.tmp / f"cold-{label}"), "partial_clone": partial}
    )
    codecommit = pipeline.codecommit.install(boto3.client("codecommit", region_name=REGION))
    return build_inspector(settings, codecommit=codecommit)


def _objects(inspector, name="app"):
    """(objects, bytes on disk) of the inspector's clone of ``name``."""
    clone = inspector.clones.root / f"{name}.git"
    counts = dict(line.split(": ") for line in Git(clone).text(["count-objects", "-v"]).splitlines())
    return int(counts["count"]) + int(counts["in-pack"]), disk_usage(clone)


def _inspect_cold(pipeline, event, label, *, partial):
    """Inspect ``event`` in a cold sandbox, then forget it: the next sandbox sees the same record."""
    items = pipeline.record_items()
    inspector = _cold_inspector(pipeline, label, partial=partial)
    result = inspector.inspect(parse_codecommit_event(event))
    events = pipeline.security_events()
    pipeline.restore_record(items)
    findings = sorted(
        (f["fingerprint"], f["commit"], f["path"], f["line"]) for e in events for f in e["detail"]["findings"]
    )
    return inspector, result, findings


def _leaky_push(pipeline, dev, rng):
    dev.commit(
        "feature", {"src/conf.py": f"key = '{fake_aws_key(rng)}'\n", "assets/a1.bin": rng.randbytes(1000)}
    )
    dev.commit("more", {"src/more.py": "y = 2\n"})
    return pipeline.push(dev, "main", "refs/heads/main")


def test_a_cold_push_fetches_far_less_than_a_full_clone_and_finds_the_same(pipeline, rng):
    dev = _large_repository(pipeline, rng)
    event = _leaky_push(pipeline, dev, rng)
    full, full_result, full_findings = _inspect_cold(pipeline, event, "full", partial=False)
    part, part_result, part_findings = _inspect_cold(pipeline, event, "partial", partial=True)

    assert full_result.status == part_result.status == "incident"
    assert part_findings == full_findings and len(full_findings) == 1
    assert (part_result.commits, part_result.files, part_result.bytes) == (
        full_result.commits, full_result.files, full_result.bytes
    )  # fmt: skip
    assert is_partial(Git(part.clones.root / "app.git"))
    full_objects, full_bytes = _objects(full)
    part_objects, part_bytes = _objects(part)
    assert part_bytes * 5 < full_bytes  # the old large blobs never came over
    # No old blob came but the one the push's change to assets/a1.bin diffs against: of the old
    # history's LARGE_FILES large blobs and app.py, all but that one are missing.
    assert part_objects == full_objects - (LARGE_FILES - 1) - 1
    assert part.clones.report.prefetched >= 3  # the push's blobs came in one batch, before the scan


def test_a_server_that_ignores_the_filter_gets_a_full_clone_that_scans_the_same(pipeline, rng):
    dev = _large_repository(pipeline, rng)
    event = _leaky_push(pipeline, dev, rng)
    _, _, full_findings = _inspect_cold(pipeline, event, "full", partial=False)
    pipeline.endpoint.serves_filters = False
    part, part_result, part_findings = _inspect_cold(pipeline, event, "partial", partial=True)
    assert part_result.status == "incident" and part_findings == full_findings
    assert _objects(part)[1] > LARGE_FILES * LARGE_FILE_BYTES  # every old blob came: a full clone


def test_a_server_that_refuses_blobs_by_id_gets_the_clone_replaced_by_a_full_one(pipeline, rng, caplog):
    dev = _large_repository(pipeline, rng)
    event = _leaky_push(pipeline, dev, rng)
    _, _, full_findings = _inspect_cold(pipeline, event, "full", partial=False)
    pipeline.endpoint.serves_protocol_v2 = False  # v0: no object a ref does not advertise
    part, part_result, part_findings = _inspect_cold(pipeline, event, "partial", partial=True)
    assert part_result.status == "incident" and part_findings == full_findings
    assert any("server refused blobs of a partial clone" in r.getMessage() for r in caplog.records)
    assert not is_partial(Git(part.clones.root / "app.git"))


def test_partial_clones_are_evicted_by_what_they_hold_after_the_prefetch(pipeline, rng, monkeypatch):
    """A first-seen young repository is scanned whole: its blobs arrive in the prefetch, after the fetch."""
    devs = {}
    for name in ("app", "svc", "quiet"):
        devs[name] = pipeline.repository(name)
        devs[name].commit("assets", {"asset.bin": rng.randbytes(400_000)})
    pipeline.inspect(pipeline.push(devs["app"], "main", "refs/heads/main", name="app"))
    cache = pipeline.tmp / "lambda-tmp" / "inspector"
    budget = int(2.5 * disk_usage(cache / "app.git"))
    monkeypatch.setenv("LEAKGUARD_CLONE_BUDGET_MB", str(budget / 1024 / 1024))
    pipeline.cold_start("inspector")
    for name in ("svc", "quiet"):
        pipeline.inspect(pipeline.push(devs[name], "main", "refs/heads/main", name=name))
    assert sorted(p.name for p in cache.glob("*.git")) == ["quiet.git", "svc.git"]
    assert disk_usage(cache) <= budget
