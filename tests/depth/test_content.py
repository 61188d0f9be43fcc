"""What a push carries beyond plain UTF-8 lines: other encodings, stray NULs, archives, large files.

Each is read through the production path: ``git log -p`` of a real repository, the blob behind a
"Binary files differ", the decoder and the archive reader.
"""

from __future__ import annotations

import gzip
import random

import pytest

from leakguard.git import Git
from leakguard.scan import run_scan
from leakguard.sources.archives import ArchiveLimits, Member, iter_members
from leakguard.sources.files import file_fragments
from leakguard.sources.history import commit_fragments
from tests.archive_builders import make_tar_gz, make_zip
from tests.fakes import fake


def _token(seed: str) -> str:
    return fake("github-pat", random.Random(seed))


def _history(repo, detector, revisions=("HEAD",)):
    return run_scan(detector, commit_fragments(Git(repo.path), list(revisions)))


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("profile.ps1", lambda text: text.encode("utf-16")),  # BOM, as PowerShell 5.1 saves
        ("web.config", lambda text: text.encode("utf-16-le")),  # no BOM: told by its NULs
        ("settings.ini", lambda text: text.encode("utf-16-be")),
        ("app.conf", lambda text: text.encode("utf-32")),
        ("keys.cfg", lambda text: text.encode("utf-8-sig")),
        (".env", lambda text: b"\x00" + text.encode()),  # one stray leading NUL
    ],
)
def test_text_in_other_encodings_is_read_in_history(make_repo, rules_only, name, encode):
    repo = make_repo()
    token = _token(name)
    repo.commit("config", {name: encode(f"# settings\nGITHUB_TOKEN={token}\n")})
    report = _history(repo, rules_only)
    assert [(f.rule_id, f.path, f.line) for f in report.findings] == [("github-pat", name, 2)]
    assert report.skipped == []


def test_an_edit_of_a_utf16_file_reports_only_its_new_secret(make_repo, rules_only):
    repo = make_repo()
    old, new = _token("old"), _token("new")
    repo.commit("v1", {"deploy.ps1": f"$a = '{old}'\n".encode("utf-16")})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("v2", {"deploy.ps1": f"$a = '{old}'\n$b = '{new}'\n".encode("utf-16")})
    report = _history(repo, rules_only, [f"{before}..HEAD"])
    assert [(f.path, f.line) for f in report.findings] == [("deploy.ps1", 2)]


def test_real_binaries_are_still_skipped_with_a_reason(make_repo, rules_only):
    repo = make_repo()
    repo.commit("image", {"logo.png": b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(4000)})
    report = _history(repo, rules_only)
    assert [(s.path, s.reason) for s in report.skipped] == [("logo.png", "binary file")]


def test_keys_inside_zip_gzip_and_tar_members_are_found(make_repo, rules_only):
    repo = make_repo()
    zipped = make_zip({"config/.env": f"TOKEN={_token('zip')}\n".encode(), "README": b"hello\n"})
    gzipped = gzip.compress(f"token: {_token('gz')}\n".encode())
    tarred = make_tar_gz({"app/secrets.yaml": f"x: 1\ngh: {_token('tar')}\n".encode()})
    repo.commit("bundles", {"dist/bundle.zip": zipped, "dump.json.gz": gzipped, "backup.tar.gz": tarred})
    report = _history(repo, rules_only)
    assert sorted((f.path, f.line) for f in report.findings) == [
        ("backup.tar.gz!backup.tar!app/secrets.yaml", 2),
        ("dist/bundle.zip!config/.env", 1),
        ("dump.json.gz!dump.json", 1),
    ]


def test_a_rebuilt_archive_reports_only_what_changed(make_repo, rules_only):
    repo = make_repo()
    old = _token("kept")
    repo.commit("v1", {"site.zip": make_zip({"a.env": f"T={old}\n".encode()})})
    before = repo.git("rev-parse", "HEAD")
    new = _token("added")
    repo.commit(
        "v2", {"site.zip": make_zip({"a.env": f"T={old}\n".encode(), "b.env": f"T={new}\n".encode()})}
    )
    report = _history(repo, rules_only, [f"{before}..HEAD"])
    assert [f.path for f in report.findings] == ["site.zip!b.env"]


def test_unreadable_archive_content_is_reported_with_its_reason():
    data = make_zip({"plain.txt": b"x = 1\n", "vault.env": b"T=1\n"}, encrypted=("vault.env",))
    items = list(iter_members("pkg.zip", data))
    assert [m.path for m in items if isinstance(m, Member)] == ["pkg.zip!plain.txt"]
    assert [(s.path, s.reason) for s in items if not isinstance(s, Member)] == [
        ("pkg.zip!vault.env", "encrypted archive member")
    ]


def _header(data: bytes, signature: bytes, name_at: int, name: bytes) -> int:
    """Where the zip header with ``signature`` naming ``name`` (at offset ``name_at``) starts."""
    place = data.find(signature)
    while data[place + name_at : place + name_at + len(name)] != name:
        place = data.find(signature, place + 1)
    return place


def _damaged_zip(token: str) -> bytes:
    """A zip of a readable member holding ``token``, one whose compression method Python lacks (99,
    as WinZip's AES encryption writes it) and one whose deflate stream is corrupt."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("aes.env", "T=1\n" * 50)
        archive.writestr("broken.env", "x = 1\n" * 200)
        archive.writestr("app.env", f"TOKEN={token}\n")
    data = bytearray(buffer.getvalue())
    aes = (99).to_bytes(2, "little")
    local = _header(data, b"PK\x03\x04", 30, b"aes.env")  # local header: method at +8, name at +30
    data[local + 8 : local + 10] = aes
    central = _header(data, b"PK\x01\x02", 46, b"aes.env")  # central directory: +10, +46
    data[central + 10 : central + 12] = aes
    stream = _header(data, b"PK\x03\x04", 30, b"broken.env") + 30 + len(b"broken.env")
    data[stream : stream + 4] = b"\xff\xff\xff\xff"  # a deflate block type that does not exist
    return bytes(data)


def test_a_damaged_or_unsupported_archive_member_is_skipped_and_the_others_scanned(make_repo, rules_only):
    # An AES-encrypted (compression method 99) or corrupt member used to raise out of the reader
    # (NotImplementedError, zlib.error) and end the whole scan with a traceback.
    repo = make_repo()
    token = _token("damaged")
    repo.commit("bundle", {"dist/config.zip": _damaged_zip(token)})
    report = _history(repo, rules_only)
    assert [f.path for f in report.findings] == ["dist/config.zip!app.env"]
    reasons = {s.path: s.reason for s in report.skipped}
    assert (
        reasons["dist/config.zip!aes.env"]
        == "unreadable archive member: That compression method is not supported"
    )
    assert reasons["dist/config.zip!broken.env"].startswith("unreadable archive member: ")


def test_a_zip_bomb_is_refused_with_its_ratio():
    bomb = make_zip({"zeros.bin": bytes(20 * 1024 * 1024)})  # ~20 KB on disk
    [refused] = list(iter_members("bomb.zip", bomb))
    assert not isinstance(refused, Member)
    assert refused.path == "bomb.zip" and "zip bomb" in refused.reason and ":1" in refused.reason


def test_a_gzip_bomb_is_refused_before_it_is_expanded():
    bomb = gzip.compress(bytes(8 * 1024 * 1024))
    [refused] = list(iter_members("huge.log.gz", bomb))
    assert not isinstance(refused, Member) and "decompression bomb" in refused.reason


def test_nesting_past_the_depth_limit_is_reported():
    inner = make_zip({"deep.env": b"T=1\n"})
    for level in range(3):
        inner = make_zip({f"level{level}.zip": inner})
    items = list(iter_members("outer.zip", inner, limits=ArchiveLimits(max_depth=3)))
    assert [getattr(i, "reason", "") for i in items] == ["archive nested deeper than 3 levels"]


def test_too_many_members_are_reported_not_silently_dropped():
    data = make_zip({f"f{i}.txt": b"x\n" for i in range(5)})
    items = list(iter_members("many.zip", data, limits=ArchiveLimits(max_members=3)))
    assert sum(isinstance(i, Member) for i in items) == 3
    assert {getattr(i, "reason", "") for i in items if not isinstance(i, Member)} == {
        "archive has more than 3 members: the rest is not read"
    }


def test_a_text_file_over_10_mib_is_read_in_windows_not_skipped(tmp_path, rules_only):
    token = _token("large")
    filler = "".join(f"row_{i} = {i}\n" for i in range(800_000))  # ~11 MB
    (tmp_path / "data.py").write_text(filler + f"token = '{token}'\n")
    report = run_scan(rules_only, file_fragments([tmp_path]))
    assert [(f.rule_id, f.line) for f in report.findings] == [("github-pat", 800_001)]
    assert report.skipped == [] and report.files > 1


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda packed: packed + b"trailing bytes", "Not a gzipped file"),  # appended to hide the key
        (lambda packed: packed[: len(packed) * 2 // 3], "ended before the end-of-stream marker"),
    ],
)
def test_a_damaged_gzip_stream_is_read_up_to_its_damage(make_repo, rules_only, damage, reason):
    # A .gz with bytes appended (or cut off) was skipped whole: a push could hide a key from the scan
    # by appending garbage to a compressed file. What precedes the damage is scanned, the rest reported.
    repo = make_repo()
    token = _token("gz-" + reason)
    noise = "".join(f'{{"id": {n}, "name": "item-{n * 7919 % 10007}"}}\n' for n in range(3000))
    packed = gzip.compress(f"GITHUB_TOKEN={token}\n{noise}".encode())
    repo.commit("dump", {"exports/users.json.gz": damage(packed)})
    report = _history(repo, rules_only)
    assert [(f.path, f.line) for f in report.findings] == [("exports/users.json.gz!users.json", 1)]
    [skipped] = report.skipped
    assert skipped.path == "exports/users.json.gz!users.json" and reason in skipped.reason


def test_a_damaged_gzip_bomb_is_still_refused():
    bomb = gzip.compress(bytes(64 * 1024 * 1024)) + b"garbage"
    items = list(iter_members("zeros.bin.gz", bomb))
    assert not any(isinstance(item, Member) for item in items)
    assert [item.reason for item in items if "bomb" in item.reason]
