"""Each handler's cold start in Lambda's layout: init time before and after this project's measures.

A Lambda cold start runs the handler module's imports (and what they build) before the first invocation;
that is the "init duration" Lambda reports. This measures it the same way, in the layout the
Lambda-layout tests use (task root and ``/opt`` read-only, awslambdaric, a Runtime API on loopback): the
time from starting the interpreter to its first ``GET /runtime/invocation/next``.

Variants, each a fresh process per run, the median of ``--repeat`` runs reported:

* ``before``: the handlers as they were at ``--before`` (default: the commit before the cold-start work),
  no bytecode shipped anywhere (so every module is compiled in memory, as in a read-only Lambda);
* ``lighter imports``: today's handlers (notify and lock no longer load GitPython, the engine or the
  rules), still without bytecode;
* ``after``: today's handlers with bytecode in the code asset and the dependency layer.

Ratios are against ``before`` in the same run. Not a test: nothing is asserted. Needs the package
registry (pip) once to build the dependency layer, and ``unshare`` (a private mount namespace).

    .venv/bin/python benchmarks/cold_start.py [--repeat 5] [--before REF] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import boto3  # noqa: E402
from tests.lambda_layout.sandbox import (  # noqa: E402
    STARTUP_ENVIRONMENT,
    LambdaFunction,
    LambdaLayout,
    build_dependency_layer,
    build_git_layer,
    build_layout,
    namespace_prefix,
    sizes,
)

from leakguard.local.emulator import local_aws  # noqa: E402

HANDLERS = ("inspector", "notify", "lock", "reset")
BEFORE = "fdf47e6"  # main before issue 7's cold-start work


def export_code(ref: str, target: Path) -> Path:
    """The checkout at ``ref`` (src, handlers, rules), for the ``before`` code asset."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src", "handlers", "rules"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "x", "-C", str(target)], input=archive, check=True)
    return target


def _measure_all(
    variants: dict[str, LambdaLayout], scratch: Path, repeat: int, environment: dict[str, str]
) -> dict[str, dict[str, tuple[float, float]]]:
    times = {}
    for name, layout in variants.items():
        prefix = namespace_prefix(layout)  # mounts this variant's own /opt and task root
        if prefix is None:
            return {}
        print(f"measuring {name}...", file=sys.stderr)
        times[name] = measure(layout, prefix, scratch / f"runs-{name}", repeat, environment)
    return times


def measure(
    layout: LambdaLayout, prefix: list[str], workdir: Path, repeat: int, environment: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """Median init (wall seconds, CPU seconds) of each handler."""
    result = {}
    for handler in HANDLERS:
        runs, cpu = [], []
        for attempt in range(repeat):
            function = LambdaFunction(
                layout=layout, prefix=prefix, name=f"{handler}-{attempt}",
                handler=f"handlers.{handler}.handler", environment=environment, workdir=workdir,
            )  # fmt: skip
            function.start()
            try:
                runs.append(function.wait_ready())
                cpu.append(function.init_cpu_seconds or 0.0)
            finally:
                function.stop()
        result[handler] = (statistics.median(runs), statistics.median(cpu))
    return result


def zipped(path: Path, scratch: Path) -> int:
    """Bytes of ``path`` as a deployment zip (what Lambda downloads on a cold start)."""
    archive = scratch / f"{path.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(path.rglob("*")):
            if file.is_file() and not file.is_symlink():
                out.write(file, file.relative_to(path))
    return archive.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--before", default=BEFORE, help=f"git ref of the 'before' handlers (default {BEFORE})"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="leakguard-cold-start-") as scratch_name:
        scratch = Path(scratch_name)
        print("building the dependency layer (pip, from the lock file) and the git layer...", file=sys.stderr)
        dependency_layer = build_dependency_layer(scratch / "dependency-layer")
        git_layer = build_git_layer(scratch / "git-layer")
        variants = {
            "before": build_layout(scratch / "before", dependency_layer=dependency_layer, git_layer=git_layer,
                                   code_root=export_code(args.before, scratch / "old"), bytecode=False),
            "lighter imports": build_layout(scratch / "lighter", dependency_layer=dependency_layer,
                                            git_layer=git_layer, bytecode=False),
            "after": build_layout(scratch / "after", dependency_layer=dependency_layer, git_layer=git_layer),
        }  # fmt: skip
        with local_aws(tls_dir=scratch / "tls") as aws:  # the inspector and reset read a secret at init
            boto3.client("secretsmanager").create_secret(
                Name=STARTUP_ENVIRONMENT["FINGERPRINT_KEY_SECRET"], SecretString=secrets.token_hex(32)
            )
            environment = {
                **STARTUP_ENVIRONMENT,
                **{k: v for k, v in aws.environment().items() if k != "PATH"},
            }
            times = _measure_all(variants, scratch, args.repeat, environment)
        if not times:
            print("needs a private mount namespace (unshare)", file=sys.stderr)
            return 2
        after = variants["after"]
        packages = {
            "code asset": (sizes(after.task_root), zipped(after.task_root, scratch)),
            "dependency layer": (sizes(dependency_layer), zipped(dependency_layer, scratch)),
            "git layer": (sizes(git_layer), zipped(git_layer, scratch)),
            "botocore in the dependency layer": (sizes(dependency_layer / "python" / "botocore"), 0),
        }
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nInit (cold start) in Lambda's layout, median of {args.repeat} runs, "
        f"Python {sys.version.split()[0]}; CPU time of the init (wall time in brackets, inflated by "
        "whatever else runs on the machine):"
    )
    print("| handler | " + " | ".join(times) + " | before / after (CPU) |")
    print("| --- |" + " --- |" * (len(times) + 1))
    for handler in HANDLERS:
        cells = " | ".join(
            f"{times[v][handler][1] * 1000:.0f} ms ({times[v][handler][0] * 1000:.0f})" for v in times
        )
        ratio = times["before"][handler][1] / max(times["after"][handler][1], 1e-9)
        print(f"| {handler} | {cells} | {ratio:.1f}x |")
    print("\nPackage sizes (unpacked / zipped):")
    for name, (unpacked, packed) in packages.items():
        print(f"- {name}: {unpacked / 1e6:.1f} MB" + (f" / {packed / 1e6:.1f} MB" if packed else ""))
    if args.json:
        args.json.write_text(json.dumps({"init_seconds": times, "sizes": packages}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
