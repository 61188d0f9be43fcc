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
