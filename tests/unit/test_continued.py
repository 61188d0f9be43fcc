"""Commands split over backslash-continued lines are read as one line (detect/continued.py)."""

import random
import re

import pytest

from leakguard.detect import continued
from leakguard.detect.continued import continued_lines
from leakguard.detect.engine import Detector
from leakguard.rules import load_rules
from leakguard.sources.base import FileLines, Fragment
from tests.fakes import _password


@pytest.fixture(scope="module")
def detector():
    return Detector(load_rules(), plugins=False)


def _commands(secret: str) -> list[tuple[str, str, str]]:
    """(rule, the command split over lines, the line holding the secret)."""
    return [
        ("curl-user-password", f"curl -sS -X POST \\\n  -u deploy:{secret} \\\n  https://nexus/up", "-u"),
        ("registry-login-password", f"docker login \\\n    -u ci \\\n    -p {secret} \\\n    registry", "-p"),
        ("mysql-password-argument", f"mysql -h db.internal \\\n  -u root \\\n  -p'{secret}' orders", "-p"),
        ("sshpass-password", f"sshpass \\\n  -p '{secret}' ssh deploy@10.0.0.5", "-p"),
        ("cli-password-option", f"az login --service-principal \\\n -u http://a \\\n  -p {secret} -t", "-p"),
    ]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("whole_file", [True, False], ids=["file", "diff"])
def test_a_credential_option_on_a_continued_line_is_found_on_its_own_line(detector, seed, whole_file):
    secret = _password(random.Random(seed))
    for rule, command, option in _commands(secret):
        text = f"#!/bin/sh\nset -eu\n{command}\necho done\n"
        expected = next(n for n, line in enumerate(text.split("\n"), 1) if line.lstrip().startswith(option))
        if whole_file:
            lines = FileLines(text)
        else:  # the lines a commit adds, numbered as in the new file
            lines = [(n + 40, line) for n, line in enumerate(text.split("\n")[:-1], 1)]
            expected += 40
        findings = detector.scan(Fragment(path="deploy.sh", lines=lines))
        assert [(f.rule_id, f.line) for f in findings] == [(rule, expected)], command
        line = text.split("\n")[expected - 41 if not whole_file else expected - 1]
        assert findings[0].column == line.index(secret) + 1


def test_without_the_joined_lines_the_rules_miss_these_commands(detector):
    """What the derived lines add: each command's option line alone names no tool."""
    secret = _password(random.Random(7))
    for _, command, option in _commands(secret):
        (line,) = [text for text in command.split("\n") if text.lstrip().startswith(option)]
        assert detector.scan_text(line, path="deploy.sh") == []


def test_a_hit_in_the_joined_part_stays_on_its_own_line(detector):
    secret = _password(random.Random(3))
    text = f"curl -u deploy:{secret} \\\n  -H 'Accept: application/json' \\\n  https://x.internal/api\n"
    findings = detector.scan(Fragment(path="ci.sh", lines=FileLines(text)))
    expected = [("curl-user-password", 1, text.index(secret) + 1)]
    assert [(f.rule_id, f.line, f.column) for f in findings] == expected


def test_an_unchanged_line_between_two_added_ones_breaks_the_run():
    blob = b"curl -X POST \\\n  -u deploy:x \\\n  https://x"
    assert [line.line_index for line in continued_lines(blob, [10, 11, 12])] == [1, 2]
    assert [line.line_index for line in continued_lines(blob, [10, 12, 13])] == [2]  # 11 is unchanged
    (last,) = continued_lines(blob, [10, 12, 13])
    assert last.text == "-u deploy:x   https://x" and last.text[last.value_start :] == "  https://x"


def test_a_long_run_joins_the_commands_head_and_the_lines_near_each_line():
    """A run of thousands of continued lines derives a bounded text per line: the command's first
    lines (the tool, its subcommand) and the few just before the line, not every line above it."""
    count = continued.HEAD_LINES + continued.NEAR_LINES + 30
    blob = b"\n".join([b"  --flag%d \\" % n for n in range(count)] + [b"  last"])
    derived = continued_lines(blob, range(1, count + 2))
    assert [line.line_index for line in derived] == list(range(1, count + 1))
    flags = re.findall(r"--flag(\d+)", derived[-1].text[: derived[-1].value_start])
    head = [str(n) for n in range(continued.HEAD_LINES)]
    near = [str(n) for n in range(count - continued.NEAR_LINES, count)]
    assert flags == head + near
    assert derived[-1].text.endswith("  last")
    huge = b"x" * (continued.MAX_JOINED + 1) + b" \\\n-p secret"
    assert continued_lines(huge, range(1, 3)) == []  # minified or generated: not a command


def test_a_trailing_backslash_on_the_last_line_or_none_at_all_derives_nothing():
    assert continued_lines(b"echo one\necho two", range(1, 3)) == []
    assert continued_lines(b"echo one\necho two \\", range(1, 3)) == []
    assert continued_lines(b"echo \\\n", range(1, 2)) == []


def test_a_keyword_split_over_the_continued_lines_still_joins_them(detector):
    secret = _password(random.Random(11))
    text = f"az \\\n  login --service-principal \\\n  -u http://app \\\n  -p {secret} --tenant t\n"
    findings = detector.scan(Fragment(path="login.sh", lines=FileLines(text)))
    assert [(f.rule_id, f.line) for f in findings] == [("cli-password-option", 4)]


def test_continued_lines_without_a_rule_keyword_derive_nothing(detector):
    """A Makefile's file list: thousands of continued lines, no keyword before any of them."""
    blob = b"SRCS = \\\n" + b"".join(b"  src/module%d.c \\\n" % n for n in range(500)) + b"  src/last.c"
    words = detector._name_words.words
    assert continued_lines(blob, range(1, 503), words) == []
    assert len(continued_lines(blob, range(1, 503))) == 501  # without the words: every line
