"""``make sarif-check``: Microsoft's SARIF validator, with GitHub's rules, over SARIF from real scans.

Builds a small repository with generated fake credentials, runs the real ``leakguard`` command the
ways CI runs it (a directory from inside it, an absolute path, a commit range whose commits carry a
secret in a message, in a file name and in a file deleted later, a monitor-only finding, standard
input, the bundled rules with the detect-secrets plugins, a clean scan), then validates every SARIF
file with ``Sarif.Multitool validate --rule-kind "Gh;Sarif"`` and reads the validator's own SARIF log.

Fails on any error, and on any warning except the one leakguard accepts by design: a match in a file
*name* points at the file with no region (SARIF2017), since the secret is in no line of it. Also checks
what GitHub's ingestion enforces and the validator does not: every result has a physical location with
a relative URI (GitHub rejects the whole upload otherwise).

Usage: ``python .ci/sarif_check.py --validator PATH/Sarif.Multitool --work DIR``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from leakguard.sample import fake_aws_access_key_id, fake_aws_secret_access_key, fake_stripe_key

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_RULES = ROOT / "tests" / "fixtures" / "rules.json"
#: (validator rule, why leakguard accepts it) for warnings that are leakguard's choice.
ACCEPTED_WARNINGS = {"SARIF2017": "a match in a file name has no region: it is in no line of the file"}
KEY = "sarif-check-fingerprint-key-0123456789"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validator", required=True, help="path of the Sarif.Multitool executable")
    parser.add_argument("--work", required=True, help="scratch directory (emptied first)")
    args = parser.parse_args()
    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    leakguard = Path(sys.executable).with_name("leakguard")
    logs = _scans(leakguard, work)
    problems = [problem for path in logs for problem in _github_ingestion(path)]
    counts, failures = _validate(Path(args.validator), logs, work / "validation.sarif")
    for path in logs:
        levels = counts.get(str(path), collections.Counter())
        print(
            f"{path.name:24} {levels['error']} error(s), {levels['warning']} warning(s), "
            f"{levels['note']} note(s)"
        )
    total = sum((c for c in counts.values()), collections.Counter())
    print(f"validator: {total['error']} error(s), {total['warning']} warning(s), {total['note']} note(s)")
    for line in failures + problems:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failures or problems else 0


def _scans(leakguard: Path, work: Path) -> list[Path]:
    """The SARIF logs of real scans, one per way CI runs leakguard."""
    repo = work / "repo"
    _repository(repo)
    env = {**os.environ, "LEAKGUARD_FINGERPRINT_KEY": KEY, "NO_COLOR": "1"}
    out = work / "sarif"
    out.mkdir()
    fixture = ["--rules", str(FIXTURE_RULES), "--no-plugins"]
    scans: dict[str, tuple[list[str], Path, bytes | None]] = {
        "directory.sarif": ([".", *fixture], repo, None),
        "absolute-path.sarif": ([str(repo / "src"), *fixture], work, None),
        "range.sarif": (["--range", "HEAD", "--repo", str(repo), *fixture], work, None),
        "monitor.sarif": ([str(repo / "monitor.py"), *fixture], work, None),
        "stdin.sarif": (["-", "--stdin-name", "pasted.env", *fixture], work, _env_file().encode()),
        "bundled-rules.sarif": (["--range", "HEAD", "--repo", str(repo)], work, None),
        "clean.sarif": ([str(repo / "README.md"), *fixture], work, None),
    }
    logs = []
    for name, (argv, cwd, stdin) in scans.items():
        path = out / name
        command = [str(leakguard), "scan", *argv, "--format", "sarif", "-o", str(path), "-q"]
        done = subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=300)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{name}: leakguard exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        logs.append(path)
    return logs


def _repository(repo: Path) -> None:
    """Commits with a secret in content, a message, a file name, a deleted file; a dependency dir."""

    def git(*argv: str, message_input: str | None = None) -> None:
        subprocess.run(
            ["git", "-C", str(repo), *argv], check=True, capture_output=True, input=message_input, text=True
        )

    repo.mkdir()
    git("init", "-q", "-b", "main")
    git("config", "user.name", "SARIF Check")
    git("config", "user.email", "sarif-check@example.com")
    git("config", "commit.gpgsign", "false")
    (repo / "README.md").write_text("# fixture\n")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (repo / "src").mkdir()
    (repo / "src" / "settings.py").write_text(
        f'import os\n\nAWS_ACCESS_KEY_ID = "{fake_aws_access_key_id()}"\n'
        f'aws_secret_access_key = "{fake_aws_secret_access_key()}"\n'
    )
    (repo / "src" / "pay ment#1.py").write_text(f'STRIPE = "{fake_stripe_key()}"\n')
    (repo / "src" / "docs_example.py").write_text(  # an accepted finding: a result with a suppression
        f'EXAMPLE = "{fake_aws_access_key_id()}"  # leakguard:allow documentation example\n'
    )
    (repo / "keys").mkdir()
    (repo / "keys" / f"{fake_aws_access_key_id()}.txt").write_text("named after a key\n")
    (repo / "monitor.py").write_text('secret = "Zq8Xr2Lm9Kt4Wp7N"\n')
    (repo / "node_modules" / "lib").mkdir(parents=True)
    (repo / "node_modules" / "lib" / "index.js").write_text(f'k = "{fake_aws_access_key_id()}"\n')
    (repo / "old.cfg").write_text(f"token = {fake_aws_access_key_id()}\n")
    git("add", "-A")
    git("commit", "-q", "-F", "-", message_input=f"add settings\n\ndeploy with {fake_aws_access_key_id()}\n")
    git("rm", "-q", "old.cfg")
    git("commit", "-q", "-m", "remove old config")


def _env_file() -> str:
    return f"# pasted into leakguard scan -\nAWS_ACCESS_KEY_ID={fake_aws_access_key_id()}\n"


def _github_ingestion(path: Path) -> list[str]:
    """What GitHub refuses and the validator lets through: results without a physical location's URI,
    absolute or scheme URIs in results."""
    log = json.loads(path.read_text())
    problems = []
    for run in log["runs"]:
        for number, result in enumerate(run["results"]):
            locations = result.get("locations") or []
            uris = [
                loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri") for loc in locations
            ]
            if not uris or not all(uris):
                problems.append(
                    f"{path.name}: results[{number}] has no physical location URI (GitHub rejects it)"
                )
            elif any(":" in uri.split("/")[0] or uri.startswith("/") for uri in uris if uri):
                problems.append(f"{path.name}: results[{number}] has an absolute URI {uris}")
    return problems


def _validate(
    validator: Path, logs: list[Path], output: Path
) -> tuple[dict[str, collections.Counter[str]], list[str]]:
    """Run the validator once over every log; its findings per file by level, and what fails."""
    output.unlink(missing_ok=True)
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}
    command = [
        str(validator),
        "validate",
        "--rule-kind",
        "Gh;Sarif",
        "--level",
        "Error;Warning;Note",
        "--output",
        str(output),
        *map(str, logs),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if not output.is_file():
        raise SystemExit(
            f"the validator wrote no report (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    report = json.loads(output.read_text())
    run = report["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"].get("rules", [])}
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    failures = []
    for note in run["tool"]["driver"].get("notifications", []) + [
        n for inv in run.get("invocations", []) for n in inv.get("toolExecutionNotifications", [])
    ]:
        if note.get("level", "warning") == "error":
            failures.append(f"validator: {note.get('message', {}).get('text')}")
    for result in run.get("results", []):
        rule = rules.get(result["ruleId"], {})
        level = result.get("level") or rule.get("defaultConfiguration", {}).get("level", "warning")
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        target = str(Path(uri.removeprefix("file://")))
        counts[target][level] += 1
        if level == "error" or (level == "warning" and result["ruleId"] not in ACCEPTED_WARNINGS):
            failures.append(f"{Path(target).name}: {level} {result['ruleId']}: {_text(result, rule)}")
    return counts, failures


def _text(result: dict[str, object], rule: dict[str, object]) -> str:
    message = result["message"]
    assert isinstance(message, dict)  # noqa: S101 - the validator's SARIF
    if "text" in message:
        return str(message["text"])
    strings = rule.get("messageStrings", {})
    assert isinstance(strings, dict)  # noqa: S101
    template = str(strings.get(message.get("id"), {}).get("text", message.get("id")))
    for position, argument in enumerate(message.get("arguments", [])):
        template = template.replace(f"{{{position}}}", str(argument))
    return template


if __name__ == "__main__":
    sys.exit(main())
