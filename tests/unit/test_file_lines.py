"""FileLines: a whole file's lines, split only on demand, equal to the (number, text) list they replace."""

import random

import pytest

from leakguard.sources.base import FileLines, split_lines


@pytest.mark.parametrize(
    "text", ["", "\n", "a", "a\n", "a\n\n", "a\r\nb", "a\r\r\n", "\r\n", "x\r", "one\ntwo\r\nthree\n"]
)
def test_file_lines_are_the_split_lines(text):
    lines = FileLines(text)
    assert len(lines) == len(split_lines(text))  # counted without splitting
    assert lines.joined == "\n".join(split_lines(text))
    assert lines == list(enumerate(split_lines(text), start=1))
    assert list(lines) == list(enumerate(split_lines(text), start=1))


def test_file_lines_match_split_lines_on_random_text():
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice("ab\r\n") for _ in range(rng.randint(0, 10)))
        lines = FileLines(text)
        assert (len(lines), lines.joined) == (len(split_lines(text)), "\n".join(split_lines(text))), text


def test_file_lines_index_like_a_list():
    lines = FileLines("a\nb\nc\n")
    assert lines[0] == (1, "a")
    assert lines[-1] == (3, "c")
    assert lines[1:] == [(2, "b"), (3, "c")]


def test_lines_made_from_plain_utf8_bytes_are_the_decoded_texts_lines():
    # of_plain_utf8 skips the decode-then-encode round trip; whenever it answers, everything must be what
    # FileLines(decode_text(data)) gives, and blob exactly joined's UTF-8.
    from leakguard.sources.content import decode_text

    rng = random.Random(11)
    pieces = [b"a", b"\n", b"\n", b"\r", b"\x00", "é".encode(), "€".encode(), "😀".encode(), b"\xff", b"\xc3"]
    answered = 0
    for _ in range(20000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        if rng.random() < 0.05:
            data = b"\xef\xbb\xbf" + data
        lines = FileLines.of_plain_utf8(data)
        if lines is None:
            continue
        answered += 1
        reference = FileLines(decode_text(data))
        assert (lines.texts, lines.joined, len(lines), lines.text) == (
            reference.texts,
            reference.joined,
            len(reference),
            reference.text,
        ), data
        assert lines.characters == len(reference.text)
        assert lines.blob == lines.joined.encode("utf-8"), data
    assert answered > 1000


@pytest.mark.parametrize("data", [b"", b"\n", b"a", b"a\n", b"\n\n", "é\nb\n".encode()])
def test_lines_made_from_bytes_count_and_split_without_their_text(data):
    lines = FileLines.of_plain_utf8(data)
    assert lines is not None
    assert len(lines) == len(split_lines(data.decode()))  # counted before any split
    assert lines.texts == split_lines(data.decode())


def test_lines_made_from_bytes_go_to_a_worker_without_them():
    import pickle

    lines = FileLines.of_plain_utf8("one\ntwo é\n".encode())
    again = pickle.loads(pickle.dumps(lines))  # noqa: S301 - our own bytes, as the worker pool does
    assert again == lines
    assert (again.joined, len(again), again.blob) == ("one\ntwo é", 2, None)
    plain = pickle.loads(pickle.dumps(FileLines("a\r\nb\n")))  # noqa: S301
    assert (plain.joined, plain.texts) == ("a\nb", ["a", "b"])


@pytest.mark.parametrize(
    "data",
    [b"\x00a\n", b"a\r\n", b"\xef\xbb\xbfa\n", b"caf\xe9\n"],
    ids=["NUL", "CR", "BOM", "not UTF-8"],
)
def test_bytes_that_are_not_plain_utf8_are_left_to_decode_text(data):
    assert FileLines.of_plain_utf8(data) is None
