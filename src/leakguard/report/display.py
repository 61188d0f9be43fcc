"""Names shown to people (file paths, ref names, authors) made safe to print.

A file name is any bytes but NUL and '/': a newline in one would write lines of its own into an email
or a text report, a carriage return or an ANSI escape would rewrite what a terminal shows, and bidi
controls reorder it ("Trojan Source"). Every such character is shown as an escape instead, and so is
the backslash, so that an escape in the output always means one.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
#: Control, format (bidi, zero-width), line and paragraph separator characters.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(text: str) -> str:
    """``text`` with control, format and separator characters escaped (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    if unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
