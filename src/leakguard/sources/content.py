"""Turning a file's bytes into text: encodings by BOM and by shape, and a fair test for "binary".

git calls any file with a NUL byte in its first 8000 bytes binary, and so did leakguard: a UTF-16
``web.config``, a ``.ps1`` saved by Windows PowerShell 5.1, or a ``.env`` with one stray leading NUL
were never read. Here a file is text when it decodes as text: by its byte-order mark (UTF-8, UTF-16 and
UTF-32, either endianness), by the NUL pattern of BOM-less UTF-16/32, or because it is UTF-8 with at
most a few stray NULs or control bytes. Real binaries (images, executables, compressed data) fail all
of these and stay skipped: about a tenth of their bytes are control bytes, text has almost none.
"""

from __future__ import annotations

import codecs

#: How much of a file the shape tests look at.
SAMPLE_BYTES = 8192
#: Share of the sample that may be NUL or other control bytes in a file still taken as UTF-8 text.
_MAX_CONTROL_SHARE = 0.02
#: ... or at most this many in a short file, still a tenth of it at most (a stray NUL in a ``.env``).
_MAX_STRAY_CONTROLS = 4
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b\v")
#: The other control bytes, which ``bytes.translate`` deletes to count them at C speed.
_CONTROL_BYTES = bytes(byte for byte in range(0x20) if byte not in _TEXT_CONTROLS)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def detect_encoding(data: bytes) -> tuple[str, int] | None:
    """``(codec, bytes of BOM to skip)`` for text ``data``; None when it is binary."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    sample = data[:SAMPLE_BYTES]
    if not sample:
        return "utf-8", 0
    wide = _wide_encoding(sample)
    if wide is not None:
        return wide, 0
    if _looks_like_utf8_text(sample):
        return "utf-8", 0
    return None


def decode_text(data: bytes) -> str | None:
    """The text of ``data`` (invalid sequences replaced, NULs dropped), or None when it is binary."""
    found = detect_encoding(data)
    if found is None:
        return None
    codec, skip = found
    text = data[skip:].decode(codec, errors="replace")
    return text.replace("\x00", "") if "\x00" in text else text


def _wide_encoding(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 without a BOM, told by where the NUL bytes of ASCII characters fall.

    Every answer but None needs NUL bytes (two at least), so a sample without one (almost every
    file) is answered by one C-speed search instead of four strided copies.
    """
    if b"\x00" not in sample:
        return None
    size = len(sample) - len(sample) % 4
    # Every fourth byte NUL (either end): the only samples worth cutting into 4-byte code units.
    if size >= 8 and (sample[3:size:4].count(0) == size // 4 or sample[0:size:4].count(0) == size // 4):
        quads = [sample[i : i + 4] for i in range(0, size, 4)]
        half = len(quads) / 2
        # Code points stop at U+10FFFF: the top byte is always 0 and the next at most 0x10.
        if all(q[3] == 0 and q[2] <= 0x10 for q in quads) and sum(q[1:] == b"\0\0\0" for q in quads) >= half:
            return "utf-32-le"
        if all(q[0] == 0 and q[1] <= 0x10 for q in quads) and sum(q[:3] == b"\0\0\0" for q in quads) >= half:
            return "utf-32-be"
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    # ASCII-heavy UTF-16: one byte of each pair is NUL almost always, the other almost never.
    if odd_nuls >= 0.6 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.6 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _looks_like_utf8_text(sample: bytes) -> bool:
    """Few control bytes: text, even when not valid UTF-8 (Latin-1 files decode with replacements).

    Compressed data, images and executables are about one tenth control bytes; text almost none.
    """
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls <= _MAX_CONTROL_SHARE * len(sample):
        return True
    return controls <= _MAX_STRAY_CONTROLS and controls * 10 <= len(sample)
