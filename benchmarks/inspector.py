"""The inspector's figures: warm and cold pushes, 1,000 and 10,000-commit pushes, with peak memory.

Run ``.venv/bin/python benchmarks/inspector.py`` (``make bench`` runs it last); ``--large-mb 2000`` for
the full-size cold push. A benchmark, not a test: it prints a table and asserts nothing.

The inspector runs as the handler tests run it (``tests/handlers/conftest.py``): its handler module
cold-started in process, fetching through ``codecommit::`` remotes from the git endpoint stand-in
(git-remote-codecommit, SigV4, TLS on loopback), moto for DynamoDB, S3, SNS and EventBridge. Each
scenario runs in a fresh interpreter, so its peak memory (``ru_maxrss`` of the process; git's own
processes are not counted) is its own. Repositories are generated under ``/tmp`` with ``git fast-import`` and
deleted afterwards.

* **warm 1-commit push**: a sandbox that already holds the clone receives a one-commit push.
* **cold push, large repository**: a repository of ``--large-mb`` MB of packed, incompressible
  history (many files over many commits, several branches, like a long-lived monorepo) that the scan
  record already knows; a fresh sandbox (empty ``/tmp``) receives a one-commit push. ``cold-large``
  is today's cold start (a blobless partial clone), ``cold-large-full`` the same push with
  ``LEAKGUARD_PARTIAL_CLONE=false`` (a full clone of every ref, as before), in the same run.
* **1,000 / 10,000-commit push**: one push of that many new commits (a file each, a line of code and
  some churn), into a repository the record knows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = ("warm-1", "cold-large", "cold-large-full", "push-1000", "push-10000")


@contextmanager
def pipeline(scratch: Path) -> Iterator[Any]:
    """The handler tests' pipeline, outside pytest (same fixtures, same environment)."""
    import pytest
    from moto import mock_aws
    from tests.handlers.conftest import (
        REGION,
        Pipeline,
        fake_role_credentials,
        git_client_environment,
    )

    from leakguard.local.git_endpoint import serve_git_endpoint

    patch = pytest.MonkeyPatch()
    rng = random.Random(12)
    try:
        with serve_git_endpoint(region=REGION, directory=scratch / "tls") as endpoint:
            for key, value in git_client_environment(endpoint).items():
                patch.setenv(key, value)
            patch.delenv("AWS_PROFILE", raising=False)
            for key, value in {
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "leakguard",
                "HOME": str(scratch),
                "GIT_CONFIG_NOSYSTEM": "1",
            }.items():
                patch.setenv(key, value)
            with mock_aws():
                credentials = fake_role_credentials(rng)
                endpoint.allow(credentials)
                patch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
                patch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
                patch.setenv("AWS_SESSION_TOKEN", credentials.token or "")
                work = scratch / "pipeline"
                work.mkdir()
                yield Pipeline(work, patch, rng, endpoint)
    finally:
        patch.undo()


def fast_import(repo: Path, stream: Iterator[bytes]) -> None:
    """Feed a ``git fast-import`` stream into ``repo`` (much faster than one commit at a time)."""
    process = subprocess.Popen(
        ["git", "-C", str(repo), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    assert process.stdin is not None
    for chunk in stream:
        process.stdin.write(chunk)
    process.stdin.write(b"done\n")
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("git fast-import failed")


def _commit(ref: str, mark: int, parent: int | None, files: dict[str, bytes], when: int) -> bytes:
    body = [f"commit {ref}\nmark :{mark}\n".encode()]
    body.append(f"committer Dev <dev@example.com> {when} +0000\ndata 9\ngenerated\n".encode())
    if parent is not None:
        body.append(f"from :{parent}\n".encode())
    for name, data in files.items():
        body.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
    return b"".join(body)


def history(commits: int, *, ref: str, start_mark: int, parent: int | None, blob_bytes: int, seed: int):
    """``commits`` commits on ``ref``, each adding one file of ``blob_bytes`` (random: incompressible
    when large, a few lines of code when small) and changing a shared file."""
    rng = random.Random(seed)
    mark = start_mark
    for index in range(commits):
        if blob_bytes > 4096:
            data = rng.randbytes(blob_bytes)
        else:
            data = f"def f{seed}_{index}(x):\n    return x + {rng.randint(0, 10**6)}\n".encode()
        files = {f"src/{seed}/{index % 97}/m{index}.py": data, "CHANGES": f"{seed}.{index}\n".encode()}
        yield _commit(ref, mark, parent, files, 1_600_000_000 + index)
        parent, mark = mark, mark + 1


def scenario(name: str, large_mb: int) -> dict[str, Any]:
    """Run one scenario in this process; its timings and sizes."""
    from tests.handlers.conftest import git

    scratch = Path(tempfile.mkdtemp(prefix=f"leakguard-bench-{name}-", dir="/tmp"))
    try:
        with pipeline(scratch) as pipe:
            dev = pipe.repository("app")
            bare = pipe.remotes / "app.git"
            (dev.path / "README").write_text("app\n")
            dev.git("add", "-A")
            dev.git("commit", "-q", "-m", "first")
            for event in pipe.git_push(dev, "main"):
                pipe.inspect(event)  # first sight: the record learns the repository
            if name.startswith("cold-large"):
                per_blob = 256 * 1024
                branches = 4
                count = max(branches, large_mb * 1024 * 1024 // per_blob)
                for branch in range(branches):
                    lines = history(
                        count // branches,
                        ref=f"refs/heads/line{branch}",
                        start_mark=1 + branch * 10**6,
                        parent=None,
                        blob_bytes=per_blob,
                        seed=branch,
                    )
                    fast_import(dev.path, lines)
                for event in pipe.git_push(dev, "--all"):
                    pipe.inspect(event)  # every branch scanned and recorded
                shutil.rmtree(pipe.env["LEAKGUARD_CLONE_ROOT"], ignore_errors=True)
                if name == "cold-large-full":  # the cold clone as it was before: every ref, every blob
                    os.environ["LEAKGUARD_PARTIAL_CLONE"] = "false"
                pipe.cold_start("inspector")  # a new sandbox: empty /tmp
            if name.startswith("push-"):
                head = git(dev.path, "rev-parse", "HEAD")
                fast_import(dev.path, _on_top(head, int(name.split("-")[1])))
            else:
                (dev.path / "change.py").write_text(f"value = {random.random()}\n")
                dev.git("add", "-A")
                dev.git("commit", "-q", "-m", "one more")
            events = pipe.git_push(dev, "main")
            started = time.perf_counter()
            results = [pipe.inspect(event) for event in events]
            seconds = time.perf_counter() - started
            clone_root = Path(pipe.env["LEAKGUARD_CLONE_ROOT"])
            return {
                "scenario": name,
                "seconds": seconds,
                "results": [str(result)[:200] for result in results],
                "repository_mb": _size(bare) / 1e6,
                "clone_mb": _size(clone_root) / 1e6 if clone_root.exists() else 0.0,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _on_top(head: str, commits: int) -> Iterator[bytes]:
    """``commits`` small commits on top of ``head`` (branch main)."""
    first = True
    for chunk in history(commits, ref="refs/heads/main", start_mark=1, parent=None, blob_bytes=0, seed=7):
        if first:
            chunk = chunk.replace(b"data 9\ngenerated\n", f"data 9\ngenerated\nfrom {head}\n".encode(), 1)
            first = False
        yield chunk


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario here and print JSON")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="only these scenarios")
    parser.add_argument("--large-mb", type=int, default=200, help="size of the cold-push repository")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.scenario:
        print(json.dumps(scenario(args.scenario, args.large_mb)))
        return 0
    rows = []
    for name in args.only or SCENARIOS:
        done = subprocess.run(
            [sys.executable, __file__, "--scenario", name, "--large-mb", str(args.large_mb)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if done.returncode != 0:
            print(f"{name}: failed: {done.stderr.strip()[-600:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    by_name = {row["scenario"]: row for row in rows}
    if "cold-large" in by_name and "cold-large-full" in by_name:
        ratio = by_name["cold-large-full"]["seconds"] / by_name["cold-large"]["seconds"]
        print(f"cold push, full clone ÷ partial clone: {ratio:.1f}x (the issue asks for more than 3x)\n")
    print("| scenario | inspect s | repository MB | clone MB | peak MB (inspector process) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['seconds']:.2f} | {row['repository_mb']:.0f} "
            f"| {row['clone_mb']:.0f} | {row['peak_mb']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
