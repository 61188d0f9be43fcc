"""Property: whatever fails and whoever pushes meanwhile, reset never loses a commit.

Each scenario builds a real bare repository with a leak on ``main`` (and, at random, companion refs
carrying it: a branch, an annotated tag), then runs the production ``Resetter`` as Lambda would:
invocation after invocation (retries after failures, a duplicate delivery after success), against
moto's S3 and SNS, while faults are injected at the lowest level:

* ``s3-bundle`` / ``s3-manifest``: S3 refuses the bundle upload or the manifest write;
* ``push-refused``: the server's pre-receive hook rejects the push;
* ``timeout-before`` / ``timeout-after``: a git command times out before it ran, or after it took
  effect (a push that landed but reported failure);
* ``killed``: the invocation dies in the middle of a git command (Lambda's timeout: no ``finally``
  email, nothing cleaned up);

and developer pushes land between the bot's fetch and its push (or between invocations): a
fast-forward of main, a new branch off the leaking head, a tag on it, or a developer's own fix that
force-pushes the leak away. After every invocation the property must hold: every commit that was ever
on a ref (and not deliberately dropped by a developer) is reachable from a ref of the repository or
inside a quarantine bundle that verifies in a fresh clone of the repository as it is now. Once the
faults stop, a retry completes and no ref carries the leak; every invocation that was not killed sent
exactly one email; the clone holds no ref outside branches and tags.

The matrix (faults x interleavings) runs every cell once with a seed of its own, plus random
combinations; ``FAULT_MATRIX`` records what ran.
"""

from __future__ import annotations

import itertools
import json
import random
import stat
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from leakguard.aws.notifications import Publisher
from leakguard.aws.storage import ObjectStore
from leakguard.detect.engine import Detector
from leakguard.errors import GitError
from leakguard.events.security import (
    CommitRef,
    Reference,
    Remediations,
    Repository,
    ScanStats,
    SecurityEvent,
    incident_id,
)
from leakguard.git import Git
from leakguard.inspection.clone import CloneCache
from leakguard.remediate.reset import ResetError, Resetter
from tests.conftest import Repo, fake_aws_key

FAULTS = ("none", "s3-bundle", "s3-manifest", "push-refused", "timeout-before", "timeout-after", "killed")
INTERLEAVINGS = ("none", "ff-main", "branch-off-leak", "tag-on-head", "developer-fix")
RANDOM_SCENARIOS = 2
MAX_INVOCATIONS = 6
REGION = "us-east-1"
FAULT_MATRIX: Counter[tuple[str, str]] = Counter()


class LambdaKilled(BaseException):
    """The invocation's process died (Lambda timeout): nothing after this point runs."""


@dataclass
class Faults:
    """What goes wrong in the current invocation, and the developer pushes scheduled meanwhile."""

    git: list[tuple[str | None, int, str]] = field(default_factory=list)  # (command, nth, kind)
    s3: list[tuple[str, int]] = field(default_factory=list)  # (key suffix, nth put of that kind)
    refuse_pushes: int = 0
    races: list[Callable[[], None]] = field(default_factory=list)  # run right before the bot's next push
    calls: Counter[str | None] = field(default_factory=Counter)
    puts: Counter[str] = field(default_factory=Counter)

    def git_fault(self, command: str) -> str | None:
        self.calls[command] += 1
        self.calls[None] += 1
        for wanted, nth, kind in self.git:
            if (wanted == command and self.calls[command] == nth) or (
                wanted is None and self.calls[None] == nth
            ):
                return kind
        return None


class FaultyGit(Git):
    """The production git runner with faults and races injected around the real commands."""

    faults: Faults

    def run(self, args: Sequence[str], *, check: bool = True, input: bytes | None = None) -> bytes:
        command = args[0]
        if command == "push":
            while self.faults.races:
                self.faults.races.pop(0)()
        kind = self.faults.git_fault(command)
        if kind == "killed":
            raise LambdaKilled(command)
        if kind == "timeout-before":
            raise GitError(command, None, f"timed out after {self.timeout:.0f}s")
        output = super().run(args, check=check, input=input)
        if kind == "timeout-after":
            raise GitError(command, None, f"timed out after {self.timeout:.0f}s")
        return output


class FaultyClones(CloneCache):
    """The production clone cache, handing out :class:`FaultyGit` runners."""

    faults: Faults

    def sync(self, repository: str, *, mask: Callable[[str], str] | None = None) -> Git:
        if self.faults.git_fault("sync") == "killed":
            raise LambdaKilled("sync")
        git = super().sync(repository, mask=mask)
        faulty = FaultyGit(git.repo, env={**git.env, "LEAKGUARD_BOT": "1"}, timeout=git.timeout)
        faulty.faults = self.faults
        return faulty


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class World:
    """One scenario: the repository, the developer, the bot and what the checker knows."""

    tmp: Path
    rng: random.Random
    s3: object
    sqs: object
    queue: str
    remote: Path
    dev: Repo
    resetter: Resetter
    faults: Faults
    ids: dict[str, str]
    dropped: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    bundled: dict[str, set[str]] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    # --- the developer ----------------------------------------------------------------------------
    def fetch(self) -> None:
        self.dev.git(
            "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"
        )

    def observe(self) -> None:
        """Remember every commit the repository holds now: all of them must survive somewhere."""
        self.seen |= set(git(self.remote, "rev-list", "--all").split())

    def race(self, kind: str) -> Callable[[], None]:
        def push() -> None:
            self.fetch()
            n = next(self.counter)
            main = self.dev.git("rev-parse", "refs/remotes/origin/main")
            if kind == "ff-main":
                self.dev.git("checkout", "-q", "--detach", main)
                self.dev.commit(f"colleague {n}", {f"w{n}.py": f"w = {n}\n"})
                self.dev.git("push", "-q", "origin", "HEAD:refs/heads/main")
            elif kind == "branch-off-leak":
                self.dev.git("checkout", "-q", "--detach", main)
                self.dev.commit(f"topic {n}", {f"t{n}.py": f"t = {n}\n"})
                self.dev.git("push", "-q", "origin", f"HEAD:refs/heads/topic-{n}")
            elif kind == "tag-on-head":
                self.dev.git("tag", "-a", "-m", f"release {n}", f"r{n}", main)
                self.dev.git("push", "-q", "origin", f"refs/tags/r{n}")
            elif kind == "developer-fix":  # the developer removes the leak themselves, on purpose
                before = set(git(self.remote, "rev-list", "--all").split())
                self.dev.git("checkout", "-q", "--detach", self.ids["base"])
                self.dev.commit(f"fix {n}", {f"f{n}.py": f"f = {n}\n"})
                self.dev.git("push", "-q", "--force", "origin", "HEAD:refs/heads/main")
                self.dropped |= before - set(git(self.remote, "rev-list", "--all").split())
            self.observe()

        return push

    # --- the checker ------------------------------------------------------------------------------
    def universe(self) -> set[str]:
        """Every commit that was on a ref, except those a developer dropped on purpose."""
        return self.seen - self.dropped

    def check_nothing_lost(self, *, reverify: bool = False) -> None:
        """Every commit ever on a ref is on a ref now or inside a bundle that verified in a fresh clone
        of the repository (only what its refs reach). New bundles are verified when first seen; with
        ``reverify`` every bundle is verified again against the repository as it is now."""
        reachable = set(git(self.remote, "rev-list", "--all").split())
        bucket = self.resetter.bucket
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix="quarantine/app/").get("Contents", [])
        keys = [item["Key"] for item in listing if item["Key"].endswith(".bundle")]
        todo = keys if reverify else [k for k in keys if k not in self.bundled]
        if todo:
            with tempfile.TemporaryDirectory(dir=self.tmp) as scratch:
                fresh = Path(scratch) / "fresh.git"
                subprocess.run(
                    ["git", "clone", "-q", "--bare", "--no-local", str(self.remote), str(fresh)], check=True
                )
                for number, key in enumerate(todo):
                    path = Path(scratch) / f"{number}.bundle"
                    self.s3.download_file(bucket, key, str(path))
                    git(fresh, "bundle", "verify", "--quiet", str(path))  # restorable into this repository
                    git(fresh, "fetch", "-q", str(path), f"+refs/*:refs/b{number}/*")
                    self.bundled[key] = set(git(fresh, "rev-list", f"--glob=refs/b{number}/*").split())
        in_bundles = set().union(*self.bundled.values()) if self.bundled else set()
        lost = self.universe() - reachable - in_bundles
        assert not lost, f"commits neither on a ref nor in a verified bundle: {sorted(lost)}"

    def mails(self) -> int:
        count = 0
        while messages := self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
                count += 1
        return count


def _incident(world: World) -> SecurityEvent:
    ids = world.ids
    return SecurityEvent(
        incidentId=incident_id("app", [ids["leak"]]),
        detectedAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        mode="enforce",
        repository=Repository(name="app", arn=None),
        reference=Reference(
            type="branch",
            name="main",
            fullName="refs/heads/main",
            event="referenceUpdated",
            oldCommitId=ids["base"],
            newCommitId=ids["head"],
            forced=False,
        ),
        pusher=None,
        commits=[CommitRef(id=ids["leak"], author=None)],
        commitCount=1,
        leakingCommits=[ids["leak"]],
        findings=[],
        findingCount=1,
        findingsTruncated=False,
        lastCleanCommitId=ids["base"],
        remediations=Remediations(lock=False, reset=True),
        report=None,
        scan=ScanStats(commits=1, files=1, bytes=1, skippedFiles=0, durationMs=1),
    )


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, object]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="admins")["TopicArn"]
        queue = sqs.create_queue(QueueName="mail")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        yield {"s3": s3, "sns": sns, "sqs": sqs, "topic": topic, "queue": queue}


def _world(tmp: Path, rng: random.Random, aws: dict[str, object], small_rules: object) -> World:
    remote = tmp / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    dev = Repo(tmp / "dev")
    dev.git("remote", "add", "origin", str(remote))
    dev.commit("base", {"a.py": "a = 1\n"})
    dev.git("push", "-q", "origin", "main")
    faults = Faults()
    bucket = f"quarantine-{next(_BUCKETS)}"  # a bucket of its own: the checker reads every bundle in it
    aws["s3"].create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    clones = FaultyClones(tmp / "lambda-tmp" / "reset", lambda _repo: f"file://{remote}")
    clones.faults = faults
    detector = Detector(small_rules, plugins=False)  # type: ignore[arg-type]
    resetter = Resetter(
        clones=clones,
        store=ObjectStore(aws["s3"]),
        publisher=Publisher(str(aws["topic"]), aws["sns"]),
        quarantine_bucket=bucket,
        detector=lambda: detector,
        scratch=tmp / "lambda-tmp" / "reset-scratch",
    )
    world = World(tmp, rng, aws["s3"], aws["sqs"], str(aws["queue"]), remote, dev, resetter, faults, {})
    world.observe()
    return world


_BUCKETS = itertools.count()


def _new_leak(world: World) -> SecurityEvent:
    """The developer pushes a leak on top of main, maybe with a branch and a tag on it: one incident."""
    rng, dev = world.rng, world.dev
    n = next(world.counter)
    world.fetch()
    dev.git("checkout", "-q", "--detach", "refs/remotes/origin/main")
    base = dev.git("rev-parse", "HEAD")
    leak = dev.commit(f"leak {n}", {f"k{n}.py": f"k = '{fake_aws_key(rng)}'\n"})
    extra = []
    if rng.random() < 0.5:
        extra.append(f"HEAD:refs/heads/wip-{n}")
    if rng.random() < 0.5:
        dev.git("tag", "-a", "-m", f"v{n}", f"v{n}")
        extra.append(f"refs/tags/v{n}")
    head = dev.commit(f"more {n}", {f"b{n}.py": f"b = {n}\n"}) if rng.random() < 0.6 else leak
    dev.git("push", "-q", "origin", "HEAD:refs/heads/main", *extra)
    world.ids = {"base": base, "leak": leak, "head": head}
    world.observe()
    return _incident(world)


def _arm(world: World, fault: str, interleaving: str) -> None:
    """Set up this invocation's faults (random positions) and the scheduled developer push."""
    rng, faults = world.rng, world.faults
    faults.git, faults.s3, faults.refuse_pushes = [], [], 0
    faults.calls.clear()
    faults.puts.clear()
    if fault in ("s3-bundle", "s3-manifest"):
        faults.s3 = [(".bundle" if fault == "s3-bundle" else ".json", 1)]
    elif fault == "push-refused":
        faults.refuse_pushes = rng.randint(1, 3)
    elif fault in ("timeout-before", "timeout-after"):
        command = rng.choice(["fetch", "bundle", "push", "push", None])
        faults.git = [(command, rng.randint(1, 2) if command else rng.randint(1, 40), fault)]
    elif fault == "killed":
        command = rng.choice(["sync", "bundle", "push", None])
        faults.git = [(command, 1 if command else rng.randint(1, 40), "killed")]
    if interleaving != "none":
        faults.races = [world.race(interleaving)]
    _hook(world.remote, faults.refuse_pushes)


def _hook(remote: Path, refusals: int) -> None:
    """The server refuses the next ``refusals`` pushes (a counter file the hook decrements)."""
    hook = remote / "hooks" / "pre-receive"
    (remote / "refusals").write_text(str(refusals))
    hook.write_text(
        '#!/bin/sh\nn=$(cat "$GIT_DIR/refusals")\n'
        'if [ "$n" -gt 0 ]; then echo $((n-1)) > "$GIT_DIR/refusals"\n'
        'echo "refused by policy" >&2; exit 1; fi\n'
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)


def _install_s3_faults(world: World) -> None:
    client = world.resetter.store.client

    def refuse(params: dict[str, object], **_: object) -> None:
        key = str(params.get("Key", ""))
        for suffix, nth in world.faults.s3:
            if key.endswith(suffix):
                world.faults.puts[suffix] += 1
                if world.faults.puts[suffix] == nth:
                    raise ClientError(
                        {"Error": {"Code": "InternalError", "Message": "injected"}}, "PutObject"
                    )

    client.meta.events.register("before-parameter-build.s3.PutObject", refuse)


def run_rounds(
    tmp: Path, seed: int, aws: dict[str, object], small_rules: object, rounds: list[list[tuple[str, str]]]
) -> None:
    """One repository, one incident per round; each round's invocations follow its plan of
    (fault, interleaving) steps, then retries run clean until reset completes, then a duplicate."""
    world = _world(tmp, random.Random(seed), aws, small_rules)
    _install_s3_faults(world)
    world.mails()
    expected_mails = 0
    for plan in rounds:
        incident = _new_leak(world)
        for step in plan:
            FAULT_MATRIX[step] += 1
        succeeded = False
        for number in range(MAX_INVOCATIONS):
            fault, interleaving = plan[number] if number < len(plan) else ("none", "none")
            _arm(world, fault, interleaving)
            try:
                world.resetter.reset(incident)
                succeeded = True
                expected_mails += 1
            except ResetError:
                expected_mails += 1
            except LambdaKilled:
                pass
            world.faults.races.clear()
            world.check_nothing_lost()
            if succeeded and number >= len(plan) - 1:
                break
        assert succeeded, "reset never completed after the faults stopped"
        _arm(world, "none", "none")
        world.resetter.reset(incident)  # a duplicate delivery after success changes nothing
        expected_mails += 1
        world.check_nothing_lost()
        carrying = git(world.remote, "for-each-ref", "--format=%(refname)", f"--contains={world.ids['leak']}")
        assert carrying == "", f"refs still carry the leak: {carrying}"
    world.check_nothing_lost(reverify=True)  # every bundle still restorable into the final repository
    clone = tmp / "lambda-tmp" / "reset" / "app.git"
    refs = git(clone, "for-each-ref", "--format=%(refname)").split()
    assert all(r.startswith(("refs/heads/", "refs/tags/")) for r in refs)
    assert world.mails() == expected_mails


CELLS = [(f, i) for f in FAULTS for i in INTERLEAVINGS]


@pytest.mark.parametrize("fault", FAULTS)
def test_every_interleaving_under_each_fault_never_loses_a_commit(
    tmp_path: Path, aws: dict[str, object], small_rules: object, fault: str
) -> None:
    order = random.Random(fault).sample(INTERLEAVINGS, len(INTERLEAVINGS))
    run_rounds(tmp_path, FAULTS.index(fault), aws, small_rules, [[(fault, i)] for i in order])


@pytest.mark.parametrize("seed", range(RANDOM_SCENARIOS))
def test_random_sequences_of_faults_and_pushes_never_lose_a_commit(
    tmp_path: Path, aws: dict[str, object], small_rules: object, seed: int
) -> None:
    rng = random.Random(seed)
    rounds = [
        [(rng.choice(FAULTS), rng.choice(INTERLEAVINGS)) for _ in range(rng.randint(2, 3))] for _ in range(3)
    ]
    run_rounds(tmp_path, 100 + seed, aws, small_rules, rounds)


def test_the_stale_temporary_ref_of_an_interrupted_run_no_longer_hides_a_leak(
    tmp_path: Path, aws: dict[str, object], small_rules: object
) -> None:
    """Regression (issue 9): a ``refs/quarantine/<sha>`` left in the cached clone by a failed upload made
    the retry after a push treat it as "another ref": the branch was deleted and the leak left no bundle."""
    world = _world(tmp_path, random.Random(7), aws, small_rules)
    incident = _new_leak(world)
    clone = world.resetter.clones.sync("app")
    git(clone.repo, "update-ref", f"refs/quarantine/{world.ids['head']}", world.ids["head"])
    world.race("ff-main")()
    world.resetter.reset(incident)
    world.check_nothing_lost()
    assert git(world.remote, "rev-parse", "refs/heads/main") == world.ids["base"]
    assert "refs/quarantine" not in git(clone.repo, "for-each-ref")


def test_the_fault_matrix_ran_every_cell() -> None:
    ran = {cell for cell, count in FAULT_MATRIX.items() if count}
    if len(ran) < len(CELLS):
        pytest.skip("run with the matrix tests (they fill FAULT_MATRIX)")
    assert set(CELLS) <= ran
    print(
        "\nfault matrix (fault, interleaving): invocations",
        json.dumps({f"{f} x {i}": n for (f, i), n in sorted(FAULT_MATRIX.items())}),
    )
