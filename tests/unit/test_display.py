import pytest

from leakguard.report.display import printable


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("src/app.py", "src/app.py"),
        ("dir/ünïcødé.py", "dir/ünïcødé.py"),
        ("sp ace.py", "sp ace.py"),
        ("new\nline.py", "new\\nline.py"),
        ("cr\rtab\t.py", "cr\\rtab\\t.py"),
        ("ansi\x1b[31mred", "ansi\\x1b[31mred"),
        ("nel\x85.py", "nel\\x85.py"),
        ("bidi\u202egnp.exe", "bidi\\u202egnp.exe"),
        ("sep\u2028x", "sep\\u2028x"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("back\\slash\\n", "back\\\\slash\\\\n"),  # a literal backslash-n stays distinguishable
    ],
)
def test_names_are_shown_on_one_line_and_unambiguously(name, shown):
    assert printable(name) == shown
    assert "\n" not in printable(name) and "\r" not in printable(name)
