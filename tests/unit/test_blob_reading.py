"""Reading whole blobs fast without changing what is read: windows, gzip streams, the encoding test.

Each shortcut is checked against the straightforward code it replaced (kept here as the reference),
on inputs shaped to hit its edges.
"""

import gzip
import io
import random
import zlib

import pytest

from leakguard.sources import archives, blobs, content
from leakguard.sources.archives import ArchiveLimits, Member, iter_members


def _windows_reference(numbered, window_bytes):
    """The per-line loop blobs.windows ran before: (first line, last line, size) of every window."""
    start, size, found = 0, 0, []
    for index, (_, text) in enumerate(numbered):
        size += len(text) + 1
        if size < window_bytes or index + 1 == len(numbered):
            continue
        cut = blobs.cut_point(numbered, start, index + 1)
        window = numbered[start:cut]
        found.append((window[0][0], window[-1][0], sum(len(t) for _, t in window) + len(window)))
        size = sum(len(t) + 1 for _, t in numbered[cut : index + 1])
        start = cut
    if start < len(numbered):
        window = numbered[start:]
        found.append((window[0][0], window[-1][0], sum(len(t) for _, t in window) + len(window)))
    return found


def test_windows_are_cut_where_the_per_line_loop_cut_them():
    rng = random.Random(7)
    shapes = [[], ["x"], ["x" * 50], ["a" * 9] * 10, ["a" * 10] * 10]  # empty, one line, exact fits
    for _ in range(300):
        lines = []
        for _ in range(rng.randrange(1, 120)):
            text = rng.choice(["", "k: v", "  - item", "-----BEGIN X-----", "-----END X-----", "top"])
            lines.append(text + "x" * rng.choice([0, 1, 7, 30, 90]))
        shapes.append(lines)
    for lines in shapes:
        numbered = list(enumerate(lines, start=1))
        for window_bytes in (1, 10, 11, 40, 100, 333, 10**6):
            made = list(blobs.windows("f", numbered, window_bytes=window_bytes))
            got = [(w.lines[0][0], w.lines[-1][0], w.size) for w in made]
            assert got == _windows_reference(numbered, window_bytes), (lines, window_bytes)
            assert [n for w in made for n, _ in w.lines] == [n for n, _ in numbered]


def _gzip_reference(data, limit):
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        return archives._bounded_read(stream, limit)


_TEXT = b"".join(b'{"k%d": "v%d"}\n' % (i, i) for i in range(5000))


def _gzip_cases():
    text = _TEXT
    one = gzip.compress(text)
    named = io.BytesIO()
    with gzip.GzipFile(filename="inner.json", mode="wb", fileobj=named, mtime=0) as stream:
        stream.write(text)
    with_header_crc = bytearray(one)
    with_header_crc[3] |= 0x02  # FHCRC set, two made-up CRC bytes: zlib checks them, GzipFile does not
    with_header_crc[10:10] = b"\x00\x00"
    corrupt_crc = bytearray(one)
    corrupt_crc[-8] ^= 0xFF
    return {
        "one member": one,
        "a file name in the header": named.getvalue(),
        "two members": one + gzip.compress(b"second\n"),
        "zero padding after it": one + b"\x00" * 16,
        "garbage after it": one + b"garbage",
        "truncated": one[:-20],
        "header CRC": bytes(with_header_crc),
        "bad CRC": bytes(corrupt_crc),
        "empty content": gzip.compress(b""),
        "not deflate": one[:2] + b"\x07" + one[3:],
    }


@pytest.mark.parametrize("case", list(_gzip_cases()))
def test_a_gzip_stream_reads_as_gzipfile_reads_it(case):
    data = _gzip_cases()[case]
    size = len(_TEXT)
    for limit in (-2, -1, 0, 1, 100, size - 1, size, size + 1, 10**7):
        try:
            expected = ("content", _gzip_reference(data, limit))
        except (OSError, EOFError) as exc:
            expected = ("error", type(exc), str(exc))
        try:
            got = ("content", archives._read_stream("gzip", data, limit))
        except (OSError, EOFError) as exc:
            got = ("error", type(exc), str(exc))
        assert got == expected, (case, limit)


def test_a_gzip_bomb_is_still_refused_with_its_ratio():
    bomb = gzip.compress(b"\x00" * (8 * 1024 * 1024))
    [skipped] = iter_members("bomb.gz", bomb, limits=ArchiveLimits(max_ratio=200))
    assert not isinstance(skipped, Member)
    assert skipped.reason.startswith("archive refused: expands more than 200:1")


def test_the_simple_gzip_case_is_the_one_zlib_call():
    # the case the real-code corpus is made of: it must not fall back to GzipFile
    assert archives._gunzip_whole(gzip.compress(b"x" * 1000), 10**6) == (b"x" * 1000,)
    assert archives._gunzip_whole(gzip.compress(b"x") + b"\x00", 10**6) is None
    assert zlib.decompress(gzip.compress(b"y"), wbits=31) == b"y"


def _wide_reference(sample):
    """content._wide_encoding as it was before its NUL shortcut."""
    size = len(sample) - len(sample) % 4
    if size >= 8 and (sample[3:size:4].count(0) == size // 4 or sample[0:size:4].count(0) == size // 4):
        quads = [sample[i : i + 4] for i in range(0, size, 4)]
        half = len(quads) / 2
        if all(q[3] == 0 and q[2] <= 0x10 for q in quads) and sum(q[1:] == b"\0\0\0" for q in quads) >= half:
            return "utf-32-le"
        if all(q[0] == 0 and q[1] <= 0x10 for q in quads) and sum(q[:3] == b"\0\0\0" for q in quads) >= half:
            return "utf-32-be"
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= 0.6 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.6 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def test_the_wide_encoding_test_answers_as_before_its_nul_shortcut():
    rng = random.Random(3)
    samples = [b"", b"\x00", b"a\x00" * 3, "hi there".encode("utf-16-le"), "hi there".encode("utf-32-be")]
    for _ in range(5000):
        alphabet = rng.choice([b"ab\x10\xff", b"\x00\x00\x00ab\x10\xff", b"\x00a"])
        samples.append(bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))))
    for sample in samples:
        assert content._wide_encoding(sample) == _wide_reference(sample), sample


def test_valid_utf8_full_of_control_bytes_is_still_a_binary_file():
    # only bytes decode_text reads as UTF-8 text may keep their bytes: the control-byte test comes first
    [skipped] = blobs.blob_fragments("x.bin", b"\x01\x02\x03\x04" * 100 + b"\n")
    assert skipped.reason == "binary file"


def test_a_plain_utf8_file_keeps_its_bytes_and_finds_what_its_text_finds(rng):
    from leakguard.detect.engine import Detector
    from leakguard.rules import load_rules
    from leakguard.sources.base import FileLines, Fragment
    from tests.conftest import fake_aws_key, fake_github_token

    text = f"# café ☕ 😀\nname = 'é'\naws_access_key_id = {fake_aws_key(rng)}\n"
    text += f"t = '{fake_github_token(rng)}'\n"
    [fragment] = blobs.blob_fragments("config/app.py", text.encode())
    assert fragment.lines.blob == text[:-1].encode()
    detector = Detector(load_rules())
    decoded = FileLines(text)
    found = detector.scan(fragment)
    assert found == detector.scan(Fragment(path="config/app.py", lines=decoded, context=decoded.context()))
    assert [(f.line, f.column) for f in found] == [(3, 21), (4, 6)]
