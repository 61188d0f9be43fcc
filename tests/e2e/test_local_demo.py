"""The whole bot locally: the demo's path, routing by the deployed patterns, and ``local serve``.

These tests synthesize the real CDK stack (no Docker, bundling skipped) and run moto's server on
loopback, so they take tens of seconds each; they carry the ``e2e`` marker.
"""

from __future__ import annotations

import email
import io
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from leakguard.local.emulator import local_aws
from leakguard.local.pipeline import LocalPipeline
from leakguard.local.scenario import DEMO_CONTEXT, run_demo
from leakguard.local.template import synthesize
from leakguard.local.timeline import Timeline
from tests.conftest import fake_aws_key

pytestmark = pytest.mark.e2e

SECRET_SHAPES = re.compile(r"AKIA[A-Z2-7]{16}|sk_live_[A-Za-z0-9]{24}")
EXPECTED_CHECKS = [
    "the inspector found it clean: no security event",
    "no email was sent",
    "the security event reached notify",
    "the security event reached lock",
    "the security event reached reset",
    "exactly one [ACTION REQUIRED] email for the incident on main",
    "main is back at the clean commit",
    "the repository is tagged RepoState=locked",
    "the removed commit is quarantined as a git bundle in S3",
    "the functions fetched and pushed through codecommit::us-east-1://payments",
    "the duplicate started no second incident",
    "no second email",
    "exactly one [ACTION REQUIRED] email for the incident on feature/checkout",
    "the branch only carried the leak: deleted",
    "its commit is quarantined first",
    "leakguard unlock exited 0",
    "unlocked, with who and why recorded",
    "leakguard restore exited 0",
    "the leaking commit",
]


def _git(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def test_the_demo_path_end_to_end(tmp_path, capsys, monkeypatch):
    out = io.StringIO()
    timeline = Timeline(out=out)
    monkeypatch.chdir(tmp_path)
    workdir = Path("demo-out")  # relative, as `make demo` passes it

    assert run_demo(workdir, timeline) == 0
    text = out.getvalue()
    assert timeline.failures == []
    passed = [line.split("[ok ] ", 1)[1] for line in text.splitlines() if "[ok ] " in line]
    for expected in EXPECTED_CHECKS:
        assert any(check.startswith(expected) for check in passed), expected

    # One [ACTION REQUIRED] email per incident, readable as .eml, with the findings redacted.
    messages = [email.message_from_bytes(p.read_bytes()) for p in sorted((workdir / "outbox").glob("*.eml"))]
    action = [m for m in messages if m["Subject"].startswith("[ACTION REQUIRED]")]
    assert [m["Subject"].split(" to ")[-1] for m in action] == ["payments main", "payments feature/checkout"]
    assert all(m["To"] == "security-admins@example.com" for m in messages)
    bodies = [m.get_payload(decode=True).decode() for m in action]
    assert "AKIA********" in bodies[0] and "sk_l********" in bodies[1]

    # The restored commits are in the admin's clone, fetched from verified bundles.
    admin = str(workdir / "admin-clone")
    restored = _git("-C", admin, "for-each-ref", "--format=%(refname)", "refs/leakguard")
    assert len(restored.splitlines()) == 2
    for ref in restored.splitlines():
        files = _git("-C", admin, "show", "--name-only", "--format=", ref)
        assert files in ("config.py", "checkout.py")

    # The secrets exist only in the developer's clone and the quarantine: never in what people read.
    logs = "".join(p.read_text() for p in (workdir / "logs").glob("*.log"))
    emails = "".join(p.read_text() for p in (workdir / "outbox").glob("*.eml"))
    captured = capsys.readouterr()
    for where, content in (("timeline", text), ("logs", logs), ("emails", emails), ("stdout", captured.out)):
        assert not SECRET_SHAPES.search(content), where
    assert SECRET_SHAPES.search(_git("-C", admin, "log", "-p", "--all"))


def _commit(clone: Path, message: str) -> None:
    _git(
        "-C",
        str(clone),
        "-c",
        "user.name=A",
        "-c",
        "user.email=a@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
    )


def _push_new_branch(pipeline: LocalPipeline, workdir: Path) -> None:
    pipeline.create_repository("payments")
    clone = workdir / "clone"
    _git("clone", "-q", pipeline.aws.remote("payments"), str(clone))
    _commit(clone, "one")
    _git("-C", str(clone), "push", "-q", "origin", "main")


def test_a_branch_deletion_reaches_the_inspector(tmp_path):
    # It may remove the last ref carrying a recorded leak: the inspector must see it to record that.
    with local_aws() as aws:
        pipeline = LocalPipeline.deploy(aws, synthesize(DEMO_CONTEXT), workdir=tmp_path)
        _push_new_branch(pipeline, tmp_path)
        clone = tmp_path / "clone"
        _git("-C", str(clone), "push", "-q", "origin", "main:refs/heads/topic")
        assert [d.function for d in pipeline.pump()] == ["inspector", "inspector"]
        _git("-C", str(clone), "push", "-q", "origin", "--delete", "topic")
        assert [d.function for d in pipeline.pump()] == ["inspector"]
        pipeline.close()


def test_local_routing_follows_the_stacks_event_pattern(tmp_path, monkeypatch):
    import stacks.inspection

    deployed = synthesize(DEMO_CONTEXT)
    with local_aws() as aws:
        pipeline = LocalPipeline.deploy(aws, deployed, workdir=tmp_path / "a")
        _push_new_branch(pipeline, tmp_path / "a")
        assert [d.function for d in pipeline.pump()] == ["inspector"]
        pipeline.close()

    # The same push, after the construct's pattern changes: the local bus no longer delivers it.
    monkeypatch.setattr(stacks.inspection, "PUSH_EVENTS", ("referenceDeleted",))
    changed = synthesize(DEMO_CONTEXT)
    on_push = next(
        r
        for r in changed["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and r["Properties"]["EventPattern"].get("source") == ["aws.codecommit"]
    )
    assert on_push["Properties"]["EventPattern"]["detail"] == {"event": ["referenceDeleted"]}
    with local_aws() as aws:
        pipeline = LocalPipeline.deploy(aws, changed, workdir=tmp_path / "b")
        _push_new_branch(pipeline, tmp_path / "b")
        assert pipeline.pump() == []
        pipeline.close()


def _reader(stream) -> queue.Queue[str]:
    """Lines of ``stream`` on a queue, read by a daemon thread, so waiting for one can time out."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], seen: list[str], text: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"no line with {text!r} within {seconds}s:\n" + "".join(seen))


def test_local_serve_watches_pushes_until_ctrl_c(tmp_path, rng):
    repo = tmp_path / "team.git"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    command = [sys.executable, "-m", "leakguard.cli", "local", "serve", "--repo", str(repo), "--workdir", "w"]
    # Run from a directory that is not the checkout: local mode must find stacks/ and handlers/ itself.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path
    )
    seen: list[str] = []
    try:
        lines = _reader(process.stdout)
        _wait_for(lines, seen, "push to it and watch", seconds=180)
        _wait_for(lines, seen, "git clone codecommit::", seconds=10)
        # Exactly what the instructions say: their exports, then a clone of the codecommit:: remote.
        exports = next(line for line in seen if "export CODE_COMMIT_ENDPOINT=" in line)
        person = {**os.environ, **dict(item.split("=", 1) for item in shlex.split(exports.strip())[1:])}
        clone = tmp_path / "clone"
        _git("clone", "-q", "codecommit::us-east-1://team", str(clone), env=person)
        _commit(clone, "clean start")  # a first push carrying only a leak would have to delete main
        _git("-C", str(clone), "push", "-q", "origin", "main", env=person)
        (clone / "conf.py").write_text(f"KEY = '{fake_aws_key(rng)}'\n")
        _git("-C", str(clone), "add", "-A")
        _commit(clone, "leak")
        _git("-C", str(clone), "push", "-q", "origin", "main", env=person)
        _wait_for(lines, seen, "[ACTION REQUIRED]", seconds=180)
        process.send_signal(signal.SIGINT)
        _wait_for(lines, seen, "Stopped (Ctrl-C)", seconds=120)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen)
    assert "inspector  clean" in output, output
    assert "inspector  incident" in output, output
    assert "UserWarning" not in output, output
    assert (repo / "hooks" / "post-receive").exists()
    assert list((tmp_path / "w" / "outbox").glob("*.eml"))
