"""The labeled corpus of ``accuracy.py``: generated fake credentials in the layouts real files use, and
hard negatives of the same shapes. Every value comes from ``tests/fakes.py`` (seeded, never real).

A case is one file; a positive case names the line of its credential (for a PEM block, its first line:
any finding inside the block counts). Types are the provider kinds of ``tests.fakes.KINDS`` plus the
layout classes of issue 11 (names apart, encodings, archives, passwords holding a weak word).
"""

from __future__ import annotations

import base64
import gzip
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tests.fakes import ALNUM, B64, HEX, KINDS, _password, _s, context_lines, fake, hard_negatives


@dataclass(frozen=True)
class Case:
    """One file of the corpus: ``line`` (1-based) and ``span`` lines of the credential, None for none."""

    kind: str
    name: str
    data: bytes
    line: int | None
    span: int = 1


_PROVIDER_LAYOUTS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("app.py", lambda s: f'import os\n\nvalue = "{s}"\n'),
    ("deploy.sh", lambda s: f"#!/bin/sh\nset -e\nexport SERVICE_VALUE={s}\n"),
    ("config.json", lambda s: f'{{\n  "service": "billing",\n  "credential_value": "{s}"\n}}\n'),
    ("values.yaml", lambda s: f"service:\n  name: billing\n  default_value: {s}\n"),
    ("client.js", lambda s: f"function client() {{\n  // neutral name\n  return '{s}';\n}}\n"),
)


def provider_cases(per_kind: int) -> Iterator[Case]:
    """Every provider kind in ``per_kind`` layouts, under neutral names (no keyword nearby)."""
    for kind in sorted(KINDS):
        for seed in range(per_kind):
            rng = random.Random(f"bench/{kind}/{seed}")
            secret = fake(kind, rng)
            name, layout = _PROVIDER_LAYOUTS[seed % len(_PROVIDER_LAYOUTS)]
            if kind.startswith("private-key") and kind != "private-key-base64":
                pem = secret.replace("\\n", "\n")
                yield Case(kind, f"{kind}-{seed}.pem", f"# key\n{pem}\n".encode(), 2, pem.count("\n") + 1)
                continue
            text = layout(secret)
            yield Case(kind, f"{kind}-{seed}-{name}", text.encode(), text.count("\n"))


def context_cases(per_kind: int) -> Iterator[Case]:
    """Formats that are credentials only next to a telling name (``tests.fakes.context_lines``)."""
    for seed in range(per_kind):
        for number, (line, rule) in enumerate(context_lines(random.Random(f"bench/context/{seed}"))):
            yield Case(f"context:{rule}", f"ctx-{number}-{seed}.txt", f"# settings\n{line}\n".encode(), 2)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _zip(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def _layouts(rng: random.Random) -> dict[str, tuple[str, bytes, int]]:
    """One case of every layout class, each with its own fresh values."""
    pw, key, hex64 = _password(rng), _s(rng, ALNUM, 32), _s(rng, HEX, 64)

    def tok() -> str:
        return fake("github-pat", rng)

    weak = (
        rng.choice(["Admin", "Root", "Redis-Pr0d-", "Us3rTest#"])
        + f"{rng.randint(10, 99)}{rng.choice('!#%')}"
    )
    return {
        "k8s-env": ("deploy.yaml", f'env:\n  - name: DB_PASSWORD\n    value: "{pw}"\n'.encode(), 3),
        "ecs-json": ("task.json", f'{{"name": "API_TOKEN", "value": "{key}"}}\n'.encode(), 1),
        "xml-add-key": (
            "web.config",
            f'<appSettings>\n  <add key="ApiKey" value="{_s(rng, ALNUM, 32)}"/>\n'.encode(),
            2,
        ),
        "xml-property": ("pom.xml", f'<property name="sentry.auth.token" value="{hex64}"/>\n'.encode(), 1),
        "dockerfile-env": ("Dockerfile", f"FROM alpine\nENV DB_PASSWORD {_password(rng)}\n".encode(), 2),
        "terraform-default": (
            "variables.tf",
            f'variable "db_password" {{\n  type    = string\n  default = "{_password(rng)}"\n}}\n'.encode(),
            3,
        ),
        "k8s-secret-base64": (
            "secret.yaml",
            f"kind: Secret\ndata:\n  password: {_b64(_password(rng))}\n".encode(),
            3,
        ),
        "base64-token": ("blob.txt", f'payload = "{_b64("GITHUB_TOKEN=" + tok())}"\n'.encode(), 1),
        "utf16-bom": ("profile.ps1", f"# ps\n$token = '{tok()}'\n".encode("utf-16"), 2),
        "utf16-no-bom": ("app.config", f"<x/>\ntoken={tok()}\n".encode("utf-16-le"), 2),
        "nul-led-env": (".env", f"\x00GITHUB_TOKEN={tok()}\n".encode(), 1),
        "zip-member": ("bundle.zip", _zip("conf/.env", f"TOKEN={tok()}\n"), 1),
        "gzip-member": ("dump.sql.gz", gzip.compress(f"-- dump\nset token '{tok()}';\n".encode()), 2),
        "weak-word-password": (
            "db.env",
            f"DATABASE_URL=postgres://app:{weak}@db.internal:5432/app\n".encode(),
            1,
        ),
    }


def layout_cases(per_kind: int) -> Iterator[Case]:
    """The classes of issue 11: names apart, encodings, containers, weak words in real passwords."""
    for seed in range(per_kind):
        for kind, (name, data, line) in _layouts(random.Random(f"bench/layout/{seed}")).items():
            yield Case(f"layout:{kind}", f"{kind}-{seed}-{name}", data, line)


_QUIET_LAYOUTS = (
    "env:\n  - name: LOG_LEVEL\n    value: debug\n",
    "  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n",
    '  - name: DB_PASSWORD\n    value: "{{ .Values.db.password }}"\n',
    '<add key="ApiKey" value="${API_KEY}"/>\n',
    'variable "db_password" {\n  type = string\n  sensitive = true\n}\n',
    "ENV APP_HOME /srv/app\n",
    "kind: ConfigMap\ndata:\n  color: Ymx1ZSBhbmQgZ3JlZW4=\n",
    "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app\n",
    "redis_url: redis://:redis@localhost:6379/0\n",
    'password = "Passw0rd!"\n',
    'api_key = "YOUR_API_KEY_HERE"\n',
    '"AWS::SecretsManager::Secret": "9fcfa92780965940",\n',
)


def negative_cases(per_kind: int) -> Iterator[Case]:
    """Hard negatives: lookalikes of credentials that are none (digests, ids, placeholders, refs)."""
    for seed in range(per_kind):
        for number, line in enumerate(hard_negatives(random.Random(f"bench/negative/{seed}"))):
            yield Case("negative", f"neg-{number}-{seed}.txt", f"{line}\n".encode(), None)
        rng = random.Random(f"bench/negative-extra/{seed}")
        for number, text in enumerate(_QUIET_LAYOUTS):
            yield Case("negative", f"negl-{number}-{seed}.yaml", text.encode(), None)
        yield Case("negative", f"negb-{seed}.txt", f'sha = "{_s(rng, B64, 44)}"\n'.encode(), None)


def build(per_kind: int = 5) -> list[Case]:
    """The whole corpus."""
    return [
        *provider_cases(per_kind),
        *context_cases(per_kind),
        *layout_cases(per_kind),
        *negative_cases(per_kind),
    ]
