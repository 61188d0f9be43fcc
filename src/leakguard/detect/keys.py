"""Private-key blocks in a file's lines: what the engine needs to find a key rotated in place.

Used only when added lines look like key material outside a block they hold whole; then the blocks of
the new file are read from its context and reported on their first added line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import re2

from leakguard.rules.model import re2_options

#: Added lines that could be part of a private key: its marker, or two lines of PEM-width base64.
KEY_MATERIAL = re2.compile(
    rb"(?m)PRIVATE KEY|(?:^[ \t\"']*[A-Za-z0-9+/]{60,76}[ \t\"',\\n]*\n){2}", re2_options()
)
PEM_LINE = re.compile(r"""^[ \t"']*[A-Za-z0-9+/]{60,76}[ \t"',\\n]*$""")
#: Upper bound on a PEM block's length in lines (an 8192-bit RSA key is about 100).
_MAX_PEM_LINES = 400


def pem_blocks(lines: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(first, last) line numbers of every BEGIN ... END block in ``lines``, markers included."""
    begin: int | None = None
    for number, text in enumerate(lines, start=1):
        if "-----BEGIN " in text and "-----END " not in text:
            begin = number
        elif "-----END " in text and begin is not None:
            if number - begin <= _MAX_PEM_LINES:
                yield begin, number
            begin = None
