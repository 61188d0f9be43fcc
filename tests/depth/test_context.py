"""A name and its value apart, encoded values, and private keys rotated in place.

Every case is a class of layouts (Kubernetes, ECS, CloudFormation, XML, Dockerfile, Terraform,
Kubernetes Secrets, base64), each with hard negatives of the same shape; the history cases run
through ``git log -p`` of a real repository, where only changed lines are "added".
"""

from __future__ import annotations

import base64
import random

import pytest

from leakguard.git import Git
from leakguard.scan import run_scan
from leakguard.sources.base import FileLines, Fragment
from leakguard.sources.history import commit_fragments
from tests.fakes import ALNUM, B64, HEX, _password, _s, fake

R = random.Random(11)
PASSWORD = _password(R)
TOKEN = fake("github-pat", R)
SECRET_KEY = _s(R, B64, 40)
API_KEY = _s(R, ALNUM, 32)
HEX64 = _s(R, HEX, 64)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


FOUND = {
    "k8s env list": (f'env:\n  - name: DB_PASSWORD\n    value: "{PASSWORD}"\n', 3),
    "k8s env unquoted": (f"  - name: API_TOKEN\n    value: {API_KEY}\n", 2),
    # Python's \s takes Unicode spaces: the C-level prefilter of value lines must too
    "k8s env nbsp indent": (f"  - name: API_TOKEN\n\u00a0\u00a0\u00a0 value:\u2003{API_KEY}\n", 2),
    "json value trailing comma": (f'  {{\n    "Name": "DB_PASSWORD",\n    "Value": "{PASSWORD}",\n', 3),
    "ecs one line": (f'{{"name": "DB_PASSWORD", "value": "{PASSWORD}"}}\n', 1),
    "ecs multi line": (f'{{\n  "name": "AWS_SECRET_ACCESS_KEY",\n  "value": "{SECRET_KEY}"\n}}\n', 3),
    "cfn name/value": (f"- Name: SMTP_PASSWORD\n  Value: '{PASSWORD}'\n", 2),
    "xml add key": (f'<appSettings>\n  <add key="ApiKey" value="{API_KEY}"/>\n', 2),
    "xml property": (f'<property name="sentry.auth.token" value="{HEX64}"/>\n', 1),
    "xml value first": (f'<add value="{API_KEY}" key="PaymentApiKey" />\n', 1),
    "dockerfile env": (f"FROM python:3.12\nENV DB_PASSWORD {PASSWORD}\n", 2),
    "dotnet setting value": (f'<setting name="ApiToken">\n  <value>{API_KEY}</value>\n</setting>\n', 2),
    "java properties xml": (f'<entry key="db.password">{PASSWORD}</entry>\n', 1),
    "terraform default": (
        f'variable "db_password" {{\n  description = "db"\n  type = string\n  default = "{PASSWORD}"\n}}\n',
        4,
    ),
    "cfn parameter default": (
        f"Parameters:\n  DbPassword:\n    Type: String\n    NoEcho: true\n    Default: {PASSWORD}\n",
        5,
    ),
    "k8s secret data": (f"kind: Secret\ndata:\n  password: {_b64(PASSWORD)}\n", 3),
    "k8s secret token": (f"kind: Secret\ndata:\n  gh: {_b64(TOKEN)}\n", 3),
    "base64 blob": (f'payload = "{_b64("export GITHUB_TOKEN=" + TOKEN)}"\n', 1),
    "base64 twice": (f"data: {_b64(_b64('token: ' + TOKEN))}\n", 1),
}

QUIET = {
    "k8s env plain value": "  - name: LOG_LEVEL\n    value: debug\n",
    "k8s env from secret": "  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n",
    "k8s env template": '  - name: DB_PASSWORD\n    value: "{{ .Values.db.password }}"\n',
    "xml placeholder": '<add key="ApiKey" value="${API_KEY}"/>\n',
    "xml non secret": f'<add key="CacheSeconds" value="{API_KEY}"/>\n',
    "dockerfile env path": "ENV APP_HOME /srv/app\n",
    "dotnet setting plain": '<setting name="Color" serializeAs="String">\n  <value>blue</value>\n',
    "java entry template": '<entry key="db.password">${DB_PASSWORD}</entry>\n',
    "terraform no default": 'variable "db_password" {\n  type = string\n  sensitive = true\n}\n',
    "terraform non secret": f'variable "instance_type" {{\n  default = "{API_KEY}"\n}}\n',
    "k8s configmap": f"kind: ConfigMap\ndata:\n  color: {_b64('blue and green')}\n",
    "base64 image": (
        'logo = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA6'
        '0e6kgAAAABJRU5ErkJggg=="\n'
    ),
    "base64 of prose": f'note = "{_b64("this is only a harmless sentence")}"\n',
    "hex digest value": f'  - name: BUILD_SHA\n    value: "{HEX64}"\n',
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_a_credential_laid_out_apart_is_found_on_its_value_line(detector, case):
    text, line = FOUND[case]
    findings = detector.scan_text(text, path="deploy/config")
    assert [f.line for f in findings] == [line], [(f.rule_id, f.line) for f in findings]
    # the same text as a whole file (lines split lazily, names looked up only near a rule's word)
    whole = detector.scan(Fragment(path="deploy/config", lines=FileLines(text)))
    assert [f.line for f in whole] == [line], [(f.rule_id, f.line) for f in whole]


def test_a_default_far_below_its_block_name_is_found_in_a_whole_file(detector):
    padding = "".join(f"  # note {n}\n" for n in range(35))
    text = f'variable "db_password" {{\n{padding}  default = "{PASSWORD}"\n}}\n'
    findings = detector.scan(Fragment(path="main.tf", lines=FileLines(text)))
    assert [f.line for f in findings] == [37]


@pytest.mark.parametrize("case", sorted(QUIET))
def test_the_same_layouts_without_a_credential_stay_quiet(detector, case):
    assert [(f.rule_id, f.line) for f in detector.scan_text(QUIET[case], path="deploy/config")] == []


def _history(repo, detector, revisions):
    return run_scan(detector, commit_fragments(Git(repo.path), revisions)).findings


def test_a_rotated_value_under_an_unchanged_name_is_found(make_repo, detector):
    repo = make_repo()
    manifest = 'spec:\n  containers:\n    - env:\n        - name: DB_PASSWORD\n          value: "{}"\n'
    repo.commit("v1", {"deploy.yaml": manifest.format("{{ .Values.password }}")})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("inline it", {"deploy.yaml": manifest.format(PASSWORD)})
    findings = _history(repo, detector, [f"{before}..HEAD"])
    assert [(f.path, f.line) for f in findings] == [("deploy.yaml", 5)]


def test_an_old_value_does_not_realert_when_its_manifest_is_edited(make_repo, detector):
    repo = make_repo()
    manifest = f'env:\n  - name: DB_PASSWORD\n    value: "{PASSWORD}"\n'
    repo.commit("v1", {"deploy.yaml": manifest})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("v2", {"deploy.yaml": manifest + "  - name: LOG_LEVEL\n    value: info\n"})
    assert _history(repo, detector, [f"{before}..HEAD"]) == []


def _pem(seed: int) -> list[str]:
    lines = fake("private-key-rsa", random.Random(seed)).split("\\n")
    return lines


def test_a_private_key_rotated_in_place_is_found(make_repo, detector):
    repo = make_repo()
    old, new = _pem(1), _pem(2)
    new = [old[0], *new[1:-1], old[-1]]  # same BEGIN/END lines, new body
    repo.commit("key", {"deploy/id_rsa": "\n".join(old) + "\n"})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("rotate", {"deploy/id_rsa": "\n".join(new) + "\n"})
    findings = _history(repo, detector, [f"{before}..HEAD"])
    assert [(f.rule_id, f.line) for f in findings] == [("private-key", 2)]


def test_a_key_pasted_into_a_skeleton_is_found(make_repo, detector):
    repo = make_repo()
    pem = _pem(3)
    skeleton = f"tls:\n  key: |\n    {pem[0]}\n    {pem[-1]}\n"
    repo.commit("skeleton", {"values.yaml": skeleton})
    before = repo.git("rev-parse", "HEAD")
    body = "".join(f"    {line}\n" for line in pem[1:-1])
    repo.commit("paste", {"values.yaml": f"tls:\n  key: |\n    {pem[0]}\n{body}    {pem[-1]}\n"})
    findings = _history(repo, detector, [f"{before}..HEAD"])
    assert [(f.rule_id, f.line) for f in findings] == [("private-key", 4)]


def test_an_old_key_does_not_realert_when_lines_around_it_change(make_repo, detector):
    repo = make_repo()
    pem = "\n".join(_pem(4))
    repo.commit("key", {"bundle.pem": f"# bundle\n{pem}\n"})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("edit", {"bundle.pem": f"# bundle v2\n{pem}\n# rotated yearly\n"})
    assert _history(repo, detector, [f"{before}..HEAD"]) == []
