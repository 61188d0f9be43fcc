"""Derived lines: what a credential looks like once the layout of its file is undone.

Rules read ``NAME = "VALUE"``; real files often keep the name and the value apart or encoded:

* Kubernetes ``env:`` lists and ECS/CloudFormation name/value pairs (``- name: DB_PASSWORD`` with
  ``value: ...`` on the next line), XML and HTML attribute pairs (``<add key="ApiKey" value="..."/>``,
  ``<property name="sentry.auth.token" value="..."/>``);
* ``default`` / ``Default`` / ``value`` keys whose name is their block's (Terraform ``variable "x" {``,
  CloudFormation parameters, nested YAML/JSON);
* Dockerfile ``ENV NAME value`` (no ``=``);
* base64 values (Kubernetes ``Secret`` ``data:``, encoded tokens anywhere), decoded to a bounded depth.

Each becomes a derived line ``NAME = "VALUE"`` that the rules scan, attributed to the added line the
value sits on. A name may sit on an unchanged line: then the file's context is read, but only the added
value line can hold a finding, so an old secret never re-alerts.

Finding the lines costs one RE2 pass over the fragment; the Python work is per candidate line.
"""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import re2

from leakguard.detect.lines import matching_lines
from leakguard.detect.prefilter import relax
from leakguard.rules.model import re2_options

#: How many lines above or below a value its name may sit (list items, attribute blocks).
NEIGHBOURS = 3
#: How far up a ``default`` looks for the block that names it.
BLOCK_SEARCH = 40
#: Base64 inside base64 is decoded this many times at most.
MAX_DECODE_DEPTH = 2
_MIN_BASE64 = 16
_MAX_BASE64 = 16384


@dataclass(frozen=True, slots=True)
class DerivedLine:
    """A synthetic line to scan, and where its value is in the fragment.

    ``line_index`` is the added line (0-based in the fragment) the value sits on, ``column`` where the
    value starts in that line. ``value_start`` is where the value starts in ``text``; a finding inside
    the value maps back column for column when ``exact``, else (decoded values) to ``column``.
    """

    line_index: int
    column: int
    text: str
    value_start: int
    exact: bool


# -- the one RE2 pass ---------------------------------------------------------------------------------

#: Base64 of printable ASCII has a signature: the first character of every 4-character group encodes
#: the top bits of a byte from 0x20 to 0x7e, so it is one of ``I-Z`` or ``a-f``. Random tokens, hex
#: digests and identifiers rarely keep that up for 16 characters, text-in-base64 always does.
_TEXT_BASE64 = rb"(?:[I-Za-f][A-Za-z0-9+/]{3}|[I-Za-f][A-Za-z0-9_-]{3}){4,}"
_TEXT_BASE64_TRIGGER = rb"(?:^|[^A-Za-z0-9+/_-])" + _TEXT_BASE64
#: Cheap C-level test that a line holds a name/value attribute pair before the Python regexes run.
_PAIR_SHAPE_PATTERN = (
    rb"""(?i)\b(?:name|key|id|parameterkey|parametername|optionname|variable|property)["']?\s*[:=]\s*["']"""
    rb"""[^"'<>\n]{1,128}["'][^<>\n]{0,200}?\bvalue["']?\s*[:=]|\bvalue\s*=\s*["'][^"'<>\n]*["'][^<>\n]{0,200}?"""
    rb"""\b(?:name|key|id)\s*="""
)
_PAIR_SHAPE = re2.compile(_PAIR_SHAPE_PATTERN, re2_options())
#: Python's ``\s`` on text: RE2's ASCII ``\s`` plus the Unicode spaces, so the C-level prefilter below
#: over-matches the Python shapes it stands for rather than missing one.
_ANY_SPACE = rb"[\s\v\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
#: A line ``_VALUE_LINE`` can match with a value of two characters or more (a one-character value, the
#: ``{`` opening a JSON object, holds no credential: see ``_value_line``).
_VALUE_LINE_SHAPE = (
    rb"^" + _ANY_SPACE + rb"*(?:-" + _ANY_SPACE + rb"+)?[\"']?"
    rb"(?:value|Value|VALUE|parameterValue|ParameterValue|default|Default|DEFAULT|defaultValue|default_value"
    rb"|DefaultValue)[\"']?" + _ANY_SPACE + rb"*[:=]" + _ANY_SPACE + rb"*[\"'`]?"
    rb"[^\"'`,;\t\n\f\r ][^\"'`\n]+[\"'`]?" + _ANY_SPACE + rb"*,?" + _ANY_SPACE + rb"*$"
)
#: The pair shape as the trigger asks for it: its counted gaps (``{1,128}``, ``{0,200}?``) made ``+``
#: and ``*``, a superset (``_derive`` still tests the exact ``_PAIR_SHAPE`` before the pair patterns
#: run). Counting up to 200 characters is what makes an automaton slow: with the exact bounds the
#: trigger pass over the real-code corpus took twice as long, for the same lines.
_PAIR_SHAPE_TRIGGER = relax(_PAIR_SHAPE_PATTERN.decode("ascii")).encode("ascii")
#: Every line ``_derive`` can make something of, and a few more: one RE2 pass over the fragment.
_TRIGGER = re2.compile(
    rb"(?m)(?:" + _VALUE_LINE_SHAPE
    + rb"|(?:" + _PAIR_SHAPE_TRIGGER + rb")"
    + rb"|(?i:^\s*env\s+\w+\s+[^\s=]|<value>|<entry\s)"
    + rb"|" + _TEXT_BASE64_TRIGGER + rb")[^\n]*",
    re2_options(),
)  # fmt: skip
_TEXT_BASE64_IN_LINE = re2.compile(_TEXT_BASE64_TRIGGER, re2_options())


# -- shapes (Python re: they run on the few candidate lines only) -------------------------------------

_VALUE_KEY = (
    r"(?:value|Value|VALUE|parameterValue|ParameterValue|default|Default|DEFAULT"
    r"|defaultValue|default_value|DefaultValue)"
)
_NAME_KEY = (
    r"(?:name|Name|NAME|key|Key|KEY|ParameterKey|parameterKey|ParameterName|OptionName|variable|property|id)"
)
#: ``value: X`` / ``"value": "X"`` / ``value = "X"`` / ``- value: X`` (YAML, JSON, HCL)
_VALUE_LINE = re.compile(
    r"""^(?P<indent>\s*(?:-\s+)?)["']?(?P<key>""" + _VALUE_KEY + r""")["']?\s*(?::|=)\s*"""
    r"""(?P<q>["'`]?)(?P<value>[^"'`\s,;][^"'`]*?)(?P=q)\s*,?\s*$"""
)
_NAME_LINE = re.compile(
    r"""^\s*(?:-\s+)?["']?"""
    + _NAME_KEY
    + r"""["']?\s*(?::|=)\s*["'`]?(?P<name>[A-Za-z_][\w.\-/]*)["'`]?\s*,?\s*$"""
)
#: ``<tag key="X" value="Y"`` (either order), ``{"name": "X", "value": "Y"}`` on one line
_ATTRIBUTE_PAIRS = (
    re.compile(
        r"""\b""" + _NAME_KEY + r"""\s*=\s*(?P<qn>["'])(?P<name>[^"'<>]{1,128})(?P=qn)[^<>]{0,200}?"""
        r"""\b(?:value|Value|VALUE)\s*=\s*(?P<q>["'])(?P<value>[^"'<>]*)(?P=q)"""
    ),
    re.compile(
        r"""\b(?:value|Value|VALUE)\s*=\s*(?P<q>["'])(?P<value>[^"'<>]*)(?P=q)[^<>]{0,200}?"""
        r"""\b""" + _NAME_KEY + r"""\s*=\s*(?P<qn>["'])(?P<name>[^"'<>]{1,128})(?P=qn)"""
    ),
    re.compile(
        r"""["']""" + _NAME_KEY + r"""["']\s*:\s*["'](?P<name>[^"']{1,128})["']\s*,\s*"""
        r"""["']""" + _VALUE_KEY + r"""["']\s*:\s*(?P<q>["'])(?P<value>[^"']*)(?P=q)"""
    ),
)
#: ``<value>X</value>`` under an element naming it (.NET settings), ``<entry key="X">Y</entry>`` (Java)
_XML_VALUE_ELEMENT = re.compile(r"""^\s*<value>(?P<value>[^<>]{1,256})</value>""", re.I)
_XML_ENTRY = re.compile(
    r"""<entry\s+key\s*=\s*["'](?P<name>[^"'<>]{1,128})["']\s*>(?P<value>[^<>]{1,256})</entry>""", re.I
)
_XML_NAME_ATTRIBUTE = re.compile(r"""<[\w:.-]+\s[^<>]*?\bname\s*=\s*["'](?P<name>[^"'<>]{1,128})["']""", re.I)
_DOCKER_ENV = re.compile(
    r"""^\s*ENV\s+(?P<name>[A-Za-z_][\w.-]*)\s+(?P<q>["']?)(?P<value>[^\s"'=][^"']*?)(?P=q)\s*$""", re.I
)
#: A block header naming what is inside: ``variable "x" {``, ``x:``, ``"x": {``, ``x = {``
_BLOCK_HEADER = re.compile(
    r"""^(?P<indent>\s*)(?:(?:variable|output|parameter|param|secret|resource\s+"[^"]+")\s+["']?(?P<hcl>[\w.\-]+)["']?\s*\{"""
    r"""|["']?(?P<key>[A-Za-z_][\w.\-]*)["']?\s*(?::|=)\s*\{?\s*$)"""
)
#: ``KEY: base64`` / ``"KEY": "base64"`` / ``KEY=base64`` with the base64 as the whole value
_ENCODED_VALUE = re.compile(
    r"""(?:^|[\s{,;(])["']?(?P<name>[A-Za-z_][\w.\-]{0,80})["']?\s*(?::|=|=>)\s*(?P<q>["'`]?)"""
    r"""(?P<value>[A-Za-z0-9+/_-]{16,}={0,2})(?P=q)"""
)
_BARE_BASE64 = re.compile(r"""(?<![A-Za-z0-9+/_-])(?P<value>[A-Za-z0-9+/]{16,}={0,2})(?![A-Za-z0-9+/=_-])""")


def derived_lines(
    texts: Sequence[str],
    blob: bytes,
    numbers: Sequence[int],
    context: Callable[[], Sequence[str] | None] | None,
    named: Callable[[], Sequence[int]] | None = None,
) -> list[DerivedLine]:
    """Every derived line of a fragment (``texts`` its added lines, ``numbers`` their line numbers).

    ``named``, when given, returns the sorted indices of the lines holding a word some rule looks
    for: a value with no such line within reach of its name (``BLOCK_SEARCH`` above, ``NEIGHBOURS``
    below) makes a derived line no rule can fire on, so its name is not looked up. Only for fragments
    that hold every line a name can sit on (a whole file).
    """
    derived: list[DerivedLine] = []
    lookup = _Neighbours(texts, numbers, context, named)
    for line_index in matching_lines(_TRIGGER, blob):
        derived.extend(_derive(line_index, texts[line_index], lookup))
    return derived


def _derive(index: int, line: str, lookup: _Neighbours) -> Iterator[DerivedLine]:
    if len(line) > 4096:
        return  # minified data: no layout to undo
    lowered = line.lower()
    encoded = line.encode("utf-8", "replace")
    if "<value>" in lowered or "<entry" in lowered:
        element = _XML_VALUE_ELEMENT.match(line)
        if element:
            name = lookup.attribute_name_above(index)
            if name:
                yield _pair(index, name, element.group("value"), element.start("value"))
                return
        for entry in _XML_ENTRY.finditer(line):
            yield _pair(index, entry.group("name"), entry.group("value"), entry.start("value"))
    if "value" in lowered or "default" in lowered:
        found = False
        for pattern in _ATTRIBUTE_PAIRS if _PAIR_SHAPE.search(encoded) else ():
            for match in pattern.finditer(line):
                found = True
                yield _pair(index, match.group("name"), match.group("value"), match.start("value"))
        if found:
            return
        yield from _value_line(index, line, lookup)
    elif lowered.lstrip().startswith("env"):
        docker = _DOCKER_ENV.match(line)
        if docker:
            yield _pair(index, docker.group("name"), docker.group("value"), docker.start("value"))
            return
    if _TEXT_BASE64_IN_LINE.search(encoded):
        yield from _encoded(index, line)


def _value_line(index: int, line: str, lookup: _Neighbours) -> Iterator[DerivedLine]:
    value_line = _VALUE_LINE.match(line)
    if value_line and len(set(value_line.group("value"))) > 1 and lookup.may_be_named(index):
        # A value of one repeated character ({, 0, ***) is never a credential (the placeholder filter
        # drops it): not worth looking for its name.
        name = lookup.sibling_name(index, len(value_line.group("indent")))
        if name is None and value_line.group("key").lower().startswith(("default", "value", "parameter")):
            name = lookup.block_name(index, len(value_line.group("indent")))
        if name:
            yield _pair(index, name, value_line.group("value"), value_line.start("value"))


def _pair(index: int, name: str, value: str, column: int) -> DerivedLine:
    text = f'{name} = "{value}"'
    return DerivedLine(line_index=index, column=column, text=text, value_start=len(name) + 4, exact=True)


def _encoded(index: int, line: str) -> Iterator[DerivedLine]:
    """Base64 values decoded (and decoded again, to MAX_DECODE_DEPTH) into derived lines."""
    taken: list[tuple[int, int]] = []
    for match in _ENCODED_VALUE.finditer(line):
        decoded = decode_base64(match.group("value"))
        if decoded is None:
            continue
        taken.append(match.span("value"))
        name = match.group("name")
        for text in _decodings(decoded):
            derived = f'{name} = "{text}"' if "\n" not in text else text
            yield DerivedLine(index, match.start("value"), derived, 0, exact=False)
    for match in _BARE_BASE64.finditer(line):
        if any(start <= match.start() < end for start, end in taken):
            continue
        decoded = decode_base64(match.group("value"))
        if decoded is not None:
            for text in _decodings(decoded):
                yield DerivedLine(index, match.start("value"), text, 0, exact=False)


def _decodings(text: str) -> Iterator[str]:
    """``text`` and, to MAX_DECODE_DEPTH, the base64 values decoded from inside it."""
    pending, depth = [text], 1
    while pending and depth <= MAX_DECODE_DEPTH:
        nested: list[str] = []
        for item in pending:
            yield from (line for line in item.split("\n") if line.strip())
            if depth < MAX_DECODE_DEPTH:
                for match in _BARE_BASE64.finditer(item):
                    inner = decode_base64(match.group("value"))
                    if inner is not None:
                        nested.append(inner)
        pending, depth = nested, depth + 1


def decode_base64(value: str) -> str | None:
    """The text ``value`` encodes (standard or URL-safe base64), or None when it is not base64 of text.

    Only mostly printable results count: base64 of random bytes (keys, digests) or of binary formats
    says nothing to the rules and would only cost time.
    """
    if not _MIN_BASE64 <= len(value) <= _MAX_BASE64:
        return None
    if value.isalpha() or value.isdigit() or (value.isalnum() and (value.islower() or value.isupper())):
        return None  # identifiers and hex digests
    stripped = value.rstrip("=")
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 8:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r")
    if printable < len(text) or sum(ch.isalnum() for ch in text) < len(text) // 2:
        return None
    return text


class _Neighbours:
    """The lines around an added line, from the fragment or, when it lacks them, the file's context."""

    def __init__(
        self,
        texts: Sequence[str],
        numbers: Sequence[int],
        context: Callable[[], Sequence[str] | None] | None,
        named: Callable[[], Sequence[int]] | None = None,
    ) -> None:
        self.texts = texts
        self.numbers = numbers
        self._named_source = named
        self._named: Sequence[int] | None = None
        self._by_number: dict[int, int] | None = None
        self.context = context
        self._file: Sequence[str] | None = None
        self._asked = False

    def line(self, number: int) -> str | None:
        """The text of line ``number`` of the new file, if known."""
        if isinstance(self.numbers, range) and self.numbers.step == 1:  # a whole file
            index: int | None = number - self.numbers.start if number in self.numbers else None
        else:
            if self._by_number is None:
                self._by_number = {number: index for index, number in enumerate(self.numbers)}
            index = self._by_number.get(number)
        if index is not None:
            return self.texts[index]
        if not self._asked:
            self._asked = True
            self._file = self.context() if self.context is not None else None
        if self._file is not None and 1 <= number <= len(self._file):
            return self._file[number - 1]
        return None

    def may_be_named(self, index: int) -> bool:
        """False when no line a name of the value at ``index`` could sit on holds a rule's word."""
        if self._named_source is None:
            return True
        if self._named is None:
            self._named = self._named_source()
        position = bisect_left(self._named, index - BLOCK_SEARCH)
        return position < len(self._named) and self._named[position] <= index + NEIGHBOURS

    def sibling_name(self, index: int, indent: int) -> str | None:
        """The ``name:``/``key:`` of the same list item or object, within NEIGHBOURS lines."""
        number = self.numbers[index]
        for offset in (-1, 1, -2, 2, -3, 3)[: 2 * NEIGHBOURS]:
            text = self.line(number + offset)
            if text is None:
                continue
            match = _NAME_LINE.match(text)
            if match and abs(_indent(text) - indent) <= 2:
                return match.group("name")
        return None

    def attribute_name_above(self, index: int) -> str | None:
        """The ``name="..."`` of the element opened just above (``<setting name="ApiToken">``)."""
        number = self.numbers[index]
        for above in range(number - 1, max(0, number - 1 - NEIGHBOURS), -1):
            text = self.line(above)
            if text is None:
                return None
            match = _XML_NAME_ATTRIBUTE.search(text)
            if match:
                return match.group("name")
        return None

    def block_name(self, index: int, indent: int) -> str | None:
        """The name of the block a ``default``/``value`` sits in (Terraform, CloudFormation, YAML)."""
        number = self.numbers[index]
        for above in range(number - 1, max(0, number - BLOCK_SEARCH), -1):
            text = self.line(above)
            if text is None:
                return None
            if not text.strip():
                continue
            if _indent(text) >= indent and not text.lstrip().startswith(("variable", "parameter")):
                continue
            match = _BLOCK_HEADER.match(text)
            if match:
                name = match.group("hcl") or match.group("key")
                if name and name.lower() not in (
                    "properties",
                    "parameters",
                    "spec",
                    "data",
                    "env",
                    "variables",
                ):
                    return name
            return None
        return None


def _indent(text: str) -> int:
    stripped = text.lstrip(" \t-")
    return len(text) - len(stripped)
