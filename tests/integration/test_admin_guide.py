"""docs/admin.md can be run from: every command in it exists with the options it gives, its links and
the sections the code points at exist, and its false-positive snippet works as written.

``leakguard`` commands go through leakguard's own argument parser; ``aws`` commands through the
AWS CLI's service models (botocore's: the operation and each option must exist); ``cdk`` through the
list of CDK CLI commands the guide may use.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore import xform_name

from leakguard import PROJECT_URL, __version__
from leakguard.cli import build_parser
from leakguard.report.text import HINT
from tests.conftest import fake_aws_key

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "admin.md"
#: Documents whose commands are checked too (the guide links to them for installation and the CLI).
DOCUMENTS = [GUIDE, ROOT / "docs" / "deploy.md", ROOT / "README.md"]
#: The AWS CLI's service names that differ from botocore's.
CLI_SERVICES = {"s3api": "s3"}
#: Options of the AWS CLI itself, valid on every command.
AWS_GLOBAL_OPTIONS = {"--query", "--output", "--region", "--profile", "--endpoint-url", "--no-paginate"}
#: Options the AWS CLI adds to an operation beyond its service model.
AWS_CLI_CUSTOM_OPTIONS = {("lambda", "publish-layer-version"): {"--zip-file"}}
REDIRECTIONS = ("<", ">", ">>", "2>")
CDK_COMMANDS = {"deploy", "destroy", "synth", "bootstrap", "diff"}


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def every_command(prefix: str) -> list[str]:
    found = []
    for document in DOCUMENTS:
        found += [c for c in shell_commands(document.read_text(encoding="utf-8")) if c.startswith(prefix)]
    return sorted(set(found))


def shell_commands(text: str) -> list[str]:
    """Every command of the guide: lines of its bash blocks (continuations joined, split on ``&&``,
    ``|`` and ``;``) and inline code that starts with a command name."""
    commands: list[str] = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            commands += re.split(r"\s(?:&&|\|\||\||;)\s", line.strip())
    for inline in re.findall(r"`([^`\n]+)`", text):
        if re.match(r"(leakguard|aws|cdk) ", inline):
            commands.append(inline)
    return [c.strip() for c in commands if c.strip() and not c.strip().startswith("#")]


def words(command: str) -> list[str]:
    """The command's words, without comments and redirections; "$(out X)" stays one word (a value)."""
    argv = shlex.split(command.replace("$(", "(").replace("${", "{"), comments=True)
    kept: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in REDIRECTIONS:
            skip = True
        else:
            kept.append(word)
    return kept


def test_the_guide_has_commands_of_each_kind():
    kinds = {words(c)[0] for c in shell_commands(guide())}
    assert {"leakguard", "aws", "cdk", "git"} <= kinds, kinds


@pytest.mark.parametrize("command", every_command("leakguard "))
def test_every_leakguard_command_parses(command):
    """A full command line parses; a command named in prose (``leakguard redrive``) may lack its
    required arguments, nothing else."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            build_parser().parse_args(words(command)[1:])
    except SystemExit as exit_:
        prose = any(f"`{command}`" in document.read_text(encoding="utf-8") for document in DOCUMENTS)
        mention = "the following arguments are required" in errors.getvalue() and prose
        assert mention, f"not a leakguard command line: {command} (exit {exit_.code}): {errors.getvalue()}"


def _aws_problems(command: str) -> list[str]:
    argv = words(command)[1:]
    service, operation, options = argv[0], argv[1], [a for a in argv[2:] if a.startswith("--")]
    session = botocore.session.get_session()
    model = session.get_service_model(CLI_SERVICES.get(service, service))
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    if operation not in operations:
        return [f"no operation {operation} in {service}"]
    members = model.operation_model(operations[operation]).input_shape.members
    known = {f"--{xform_name(name, '-')}": shape for name, shape in members.items()}
    problems = []
    for option in options:
        name = option.split("=", 1)[0]
        if (
            name in AWS_GLOBAL_OPTIONS
            or name in known
            or name in AWS_CLI_CUSTOM_OPTIONS.get((service, operation), ())
        ):
            continue
        positive = "--" + name.removeprefix("--no-")
        if name.startswith("--no-") and positive in known and known[positive].type_name == "boolean":
            continue
        problems.append(f"{service} {operation} has no option {name}")
    return problems


@pytest.mark.parametrize("command", every_command("aws "))
def test_every_aws_command_is_an_operation_with_its_options(command):
    assert _aws_problems(command) == []


def test_the_aws_check_catches_a_wrong_command():
    assert _aws_problems("aws dynamodb delete-tables --table-name x") == [
        "no operation delete-tables in dynamodb"
    ]
    assert _aws_problems("aws iam detach-role-policy --role x") == [
        "iam detach-role-policy has no option --role"
    ]


def test_every_cdk_command_is_one_of_the_cli():
    for command in shell_commands(guide()):
        argv = words(command)
        if "cdk" in argv:
            assert argv[argv.index("cdk") + 1] in CDK_COMMANDS, command


def github_anchors(text: str) -> set[str]:
    """The anchors GitHub makes of a Markdown file's headings."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
        anchors.add(slug.replace(" ", "-"))
    return anchors


def test_every_relative_link_and_anchor_exists():
    text = guide()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("http"):
            continue
        path, _, anchor = target.partition("#")
        document = (GUIDE.parent / path) if path else GUIDE
        assert document.is_file(), target
        if anchor:
            assert anchor in github_anchors(document.read_text(encoding="utf-8")), target


def test_the_sections_the_code_points_at_exist():
    anchors = github_anchors(guide())
    hint_target = HINT.rsplit("see ", 1)[1]
    document, anchor = hint_target.split("#")
    assert (ROOT / document) == GUIDE and anchor in anchors
    # Named in leakguard.acceptance.notice, leakguard.fingerprints and stacks/fingerprint_key.py.
    assert {"accepted-findings", "fingerprints-and-the-deployment-key", "false-positive-faq"} <= anchors
    for source in ("src/leakguard/acceptance/notice.py", "src/leakguard/fingerprints.py"):
        for title in re.findall(r'docs/admin\.md[`\'"]*,? \(?"([^"]+)"', (ROOT / source).read_text()):
            assert title.lower().replace(" ", "-") in anchors, (source, title)


def test_the_pre_commit_snippet_names_the_hook_this_repository_defines():
    (snippet,) = re.findall(r"```yaml\n(.*?)```", guide(), re.S)
    [repo] = yaml.safe_load(snippet)["repos"]
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert repo["hooks"] == [{"id": hook["id"]}]
    assert repo["repo"] == PROJECT_URL and repo["rev"] == f"v{__version__}"


def test_the_false_positive_snippet_accepts_the_fixture_and_the_range_scan_passes(tmp_path, rng):
    (snippet,) = re.findall(
        r"```bash\n(leakguard scan --range origin/main..HEAD --write-ignore\n.*?)```", guide(), re.S
    )
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    (work / "README").write_text("hi\n")
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "base"], check=True)
    subprocess.run(
        ["git", "-C", str(work), "push", "-q", "origin", "HEAD:main"], check=True, capture_output=True
    )
    (work / "tests").mkdir()
    (work / "tests" / "fixture.py").write_text(f"KEY = '{fake_aws_key(rng)}'\n")
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "fixture"], check=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LEAKGUARD_FINGERPRINT_KEY": "admin-guide-test-key-0123456789abcdef",
        "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
    }  # fmt: skip
    scan = ["leakguard", "scan", "--range", "origin/main..HEAD", "--format", "jsonl"]
    before = subprocess.run(scan, cwd=work, env=env, capture_output=True, text=True, check=False)
    assert before.returncode == 1, before.stdout + before.stderr
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet], cwd=work, env=env, check=True, capture_output=True
    )
    after = subprocess.run(scan, cwd=work, env=env, capture_output=True, text=True, check=False)
    assert after.returncode == 0, after.stdout + after.stderr
    summary = json.loads(after.stdout.splitlines()[-1])
    assert summary["findings"] == 0 and summary["accepted"] == 1
    assert (
        "leakguard: accept the test fixture keys"
        in subprocess.run(
            ["git", "-C", str(work), "log", "-1", "--format=%s"], capture_output=True, text=True, check=True
        ).stdout
    )
