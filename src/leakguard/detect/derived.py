"""Derived lines: what a credential looks like once the layout of its file is undone.

Rules read ``NAME = "VALUE"``; real files often keep the name and the value apart or encoded:

* Kubernetes ``env:`` lists and ECS/CloudFormation name/value pairs (``- name: DB_PASSWORD`` with
  ``value: ...`` on the next line), XML and HTML attribute pairs (``<add key="ApiKey" value="..."/>``,
  ``<property name="sentry.auth.token" value="..."/>``);
* ``default`` / ``Default`` / ``value`` keys whose name is their block's (Terraform ``variable "x" {``,
  CloudFormation parameters, nested YAML/JSON);
* Dockerfile ``ENV NAME value`` (no ``=``);
* YAML block scalars (``api_key: >-`` with the value alone on the next line);
* base64 values (Kubernetes ``Secret`` ``data:``, encoded tokens anywhere), decoded to a bounded depth.

Each becomes a derived line ``NAME = "VALUE"`` that the rules scan, attributed to the added line the
value sits on. A name may sit on an unchanged line: then the file's context is read, but only the added
value line can hold a finding, so an old secret never re-alerts.

Finding the lines costs one RE2 pass over the fragment, or nothing of its own once the engine's
Vectorscan gate runs: the trigger's parts ride in the gate's pass and come back located. The Python
work is per candidate line. In a whole file, a value line's name is looked up only when the derived
line can hold a word some rule looks for (see :class:`NameWords`): most value lines (JSON data) make
derived lines no rule can fire on, and looking their names up was most of the stage's time.
"""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import re2

from leakguard.detect.lines import found, located_lines, matching_lines
from leakguard.detect.pattern_text import relax
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


#: What joins a name to its value in an exact derived line (``NAME = "VALUE"``), and what ends it.
GLUE = ' = "'
END = '"'


@dataclass(frozen=True, slots=True)
class NameWords:
    """What a rule needs of an exact derived line, so that a whole file's value lines whose derived
    line cannot hold it are not looked up (``derived_lines``).

    ``words`` is a compiled bytes RE2 pattern, ``(?i)(?:...)[^\\n]*``, of every rule keyword plus
    the :func:`glue_stems` of those that can straddle the ``NAME = "`` glue or the closing quote.
    ``spanning`` is the same for the keywords of the rules whose match can run over several lines of
    the derived blob (multi-line rules), or None when there are none.
    """

    words: Any
    spanning: Any | None


def glue_stems(keywords: Iterable[str]) -> set[str] | None:
    """The parts of ``keywords`` a name or a value must hold for the keyword to occur in
    ``NAME + GLUE + VALUE + END`` across the glue or the closing quote; None when a keyword fits in
    the glue (or glue and quote) itself, so every derived line holds it.

    With the bundled keywords these are ``auth`` (``auth "``: a name ending in auth) and ``pass``
    (``"pass``: a value starting with pass). Case does not matter: keywords match case-insensitively
    and the glue holds no letter.
    """
    stems: set[str] = set()
    for keyword in (k.lower() for k in keywords):
        if not keyword:
            continue
        if keyword in GLUE + END:
            return None
        for cut in range(1, len(keyword)):  # starts in the name, runs into the glue
            rest = keyword[cut:]
            if rest[: len(GLUE)] == GLUE[: len(rest)]:
                stems.add(keyword[:cut])
        for start in range(len(GLUE)):  # starts in the glue, runs into the value (or its quote)
            inside = GLUE[start:]
            if len(keyword) > len(inside) and keyword.startswith(inside):
                stem = keyword[len(inside) :].split(END)[0]  # what of it lies in the value for sure
                if not stem:
                    return None
                stems.add(stem)
        if keyword.endswith(END) and len(keyword) > len(END):  # ends on the closing quote
            stems.add(keyword[: -len(END)])
    return stems


# -- the trigger: one C-level pass over the fragment -------------------------------------------------

#: Base64 of printable ASCII has a signature: the first character of every 4-character group encodes
#: the top bits of a byte from 0x20 to 0x7e, so it is one of ``I-Z`` or ``a-f``. Random tokens, hex
#: digests and identifiers rarely keep that up for 16 characters, text-in-base64 always does.
_TEXT_BASE64 = rb"(?:[I-Za-f][A-Za-z0-9+/]{3}|[I-Za-f][A-Za-z0-9_-]{3}){4}"
_TEXT_BASE64_TRIGGER = rb"(?:^|[^A-Za-z0-9+/_-])" + _TEXT_BASE64
#: Cheap C-level test that a line holds a name/value attribute pair before the Python regexes run.
_PAIR_SHAPE_PATTERN = (
    rb"""(?i)\b(?:name|key|id|parameterkey|parametername|optionname|variable|property)["']?\s*[:=]\s*["']"""
    rb"""[^"'<>\n]{1,128}["'][^<>\n]{0,200}?\bvalue["']?\s*[:=]|\bvalue\s*=\s*["'][^"'<>\n]*["'][^<>\n]{0,200}?"""
    rb"""\b(?:name|key|id)\s*="""
)
_PAIR_SHAPE = re2.compile(_PAIR_SHAPE_PATTERN, re2_options())
#: Python's ``\s`` on text inside one line, widened so that RE2 and Vectorscan read it alike: the
#: ASCII spaces but the newline, and any non-ASCII character (the Unicode spaces are among them). The
#: trigger over-matches the Python shapes it stands for rather than missing one, and never runs over
#: the end of a line: a line is triggered only by what it holds.
_LINE_SPACE = rb"(?:[\t\x0b\x0c\r \x1c-\x1f]|[^\x00-\x7f])"
#: A line ``_VALUE_LINE`` can match with a value of two characters or more (a one-character value, the
#: ``{`` opening a JSON object, holds no credential: see ``_value_line``).
_VALUE_LINE_SHAPE = (
    rb"^" + _LINE_SPACE + rb"*(?:-" + _LINE_SPACE + rb"+)?[\"']?"
    rb"(?:value|Value|VALUE|parameterValue|ParameterValue|default|Default|DEFAULT|defaultValue|default_value"
    rb"|DefaultValue)[\"']?" + _LINE_SPACE + rb"*[:=]" + _LINE_SPACE + rb"*[\"'`]?"
    rb"[^\"'`,;\t\n\f\r ][^\"'`\n]+[\"'`]?" + _LINE_SPACE + rb"*,?" + _LINE_SPACE + rb"*$"
)
#: The pair shape as the trigger asks for it: its counted gaps (``{1,128}``, ``{0,200}?``) made ``+``
#: and ``*``, a superset (``_derive`` still tests the exact ``_PAIR_SHAPE`` before the pair patterns
#: run). Counting up to 200 characters is what makes an automaton slow: with the exact bounds the
#: trigger pass over the real-code corpus took twice as long, for the same lines.
_PAIR_SHAPE_TRIGGER = relax(_PAIR_SHAPE_PATTERN.decode("ascii")).encode("ascii").replace(rb"\s", _LINE_SPACE)
#: ``<value>``, ``<entry key=`` (``_XML_VALUE_ELEMENT``, ``_XML_ENTRY``) and Dockerfile ``ENV NAME value``
#: (``_DOCKER_ENV``: its name may hold dots and dashes, its spaces be Unicode ones).
_ELEMENT_OR_ENV = (
    rb"(?i:^" + _LINE_SPACE + rb"*env" + _LINE_SPACE + rb"+[^\s=]+" + _LINE_SPACE + rb"+[^\s=]"
    rb"|<value>|<entry" + _LINE_SPACE + rb")"
)
#: A YAML block scalar's header (``api_key: >-``, ``password: |``): its value is on the next line.
#: Only the header's end, which ``_BLOCK_SCALAR`` ends with too: with the name from the line's start,
#: the part cost the gate 0.3 s on the real-code corpus, for the same lines.
_BLOCK_SCALAR_SHAPE = rb":" + _LINE_SPACE + rb"*[|>][-+0-9]*" + _LINE_SPACE + rb"*(?:#[^\n]*)?$"
#: The trigger's parts, one per way ``_derive`` makes a derived line, in RE2 syntax with multi-line
#: anchors, each matching within one line. The engine's Vectorscan gate takes them as *located*
#: patterns (every match end reported, see ``derived_lines``); ``VALUE_PART`` is the value lines'.
TRIGGER_PARTS: tuple[str, ...] = tuple(
    part.decode("ascii")
    for part in (
        _VALUE_LINE_SHAPE,
        _PAIR_SHAPE_TRIGGER,
        _ELEMENT_OR_ENV,
        _TEXT_BASE64_TRIGGER,
        _BLOCK_SCALAR_SHAPE,
    )
)
VALUE_PART = 0
#: Every line ``_derive`` can make something of, and a few more: one RE2 pass over the fragment,
#: when the gate did not locate the parts.
_TRIGGER = re2.compile(
    b"(?m)(?:" + b"|".join(b"(?:" + part.encode("ascii") + b")" for part in TRIGGER_PARTS) + rb")[^\n]*",
    re2_options(),
)
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
_BLOCK_SCALAR = re.compile(
    r"""^(?P<indent>\s*(?:-\s+)?)["']?(?P<name>[A-Za-z_][\w.\-/]*)["']?\s*:\s*[|>][-+0-9]*\s*(?:#.*)?$"""
)
#: The one line of a block scalar worth a derived line: a token, no space inside (a credential).
_BLOCK_VALUE = re.compile(r"""^(?P<indent>\s+)(?P<value>[^\s#][^\s]*)\s*$""")
_BARE_BASE64 = re.compile(r"""(?<![A-Za-z0-9+/_-])(?P<value>[A-Za-z0-9+/]{16,}={0,2})(?![A-Za-z0-9+/=_-])""")


def derived_lines(
    texts: Sequence[str],
    blob: bytes,
    numbers: Sequence[int],
    context: Callable[[], Sequence[str] | None] | None,
    name_words: Callable[[], NameWords | None] | None = None,
    located: Sequence[tuple[int, int]] | None = None,
) -> list[DerivedLine]:
    """Every derived line of a fragment (``texts`` its added lines, ``numbers`` their line numbers);
    in a whole file, every one a rule can fire on.

    ``name_words``, for fragments holding every line a name can sit on (a whole file), returns what
    an exact derived line needs for a rule to fire on it (None: no such word, every line may count).
    Then a value line makes a derived line only when its value, or the line its name is read from,
    holds one of those words (see ``_Neighbours.may_hold_word``); its name is not looked up otherwise.
    Why that keeps every line a rule can fire on: a rule runs on a derived line only if the line holds
    one of its keywords (the keyword routing of the rule pass), or for a multi-line rule, one line of
    the derived blob does. ``NAME`` is a substring of the name's line and ``VALUE`` of the value's, so
    a keyword inside either is in that source line; one across the glue leaves a stem (``glue_stems``)
    in it. A multi-line rule could run over a skipped line's place in the blob: when a kept line holds
    a keyword of such a rule, the fragment is derived again without skipping. Rules without keywords
    are the engine's business: it gives no words when one of them matches the fragment, so every line
    is kept, as before this gate existed (its argument: such a rule's match in a derived value is in
    the value's own line too, true of the bundled ``discord-bot-token``, whose token is bounded by
    characters that cannot be part of it, which the glue and the quotes are).

    ``located``, when the engine's Vectorscan gate answered for the blob, is where each of
    :data:`TRIGGER_PARTS` matches (``(end, part)``): the triggered lines come from it instead of an
    RE2 pass, and a line only the value-line part triggered is dropped before any Python work when
    no word line is within a name's reach of it (``_Neighbours.within_reach``), the first test its
    ``_value_line`` would fail. In whole data files most value lines are such (61 % in the real-code
    corpus).
    """
    derived: list[DerivedLine] = []
    lookup = _Neighbours(texts, numbers, context, name_words, blob)
    if located is None:
        triggered = matching_lines(_TRIGGER, blob)
    else:
        triggered, values_only, anchors = located_lines(blob, located, alone=VALUE_PART)
        lookup.window(triggered, anchors)
        if any(values_only):
            triggered = [
                index
                for index, value_only in zip(triggered, values_only, strict=True)
                if not value_only or lookup.within_reach(index)
            ]
    if not triggered:
        return derived
    if not isinstance(texts, list):  # lazy: the lines around the triggered ones, or one C-level copy
        texts = lookup.texts = lookup.windowed_texts() or texts[:]
    for line_index in triggered:
        derived.extend(_derive(line_index, texts[line_index], lookup))
    words = lookup.words if lookup.skipped else None
    if words is not None and words.spanning is not None and derived:
        kept = "\n".join(line.text for line in derived).encode("utf-8", "replace")
        if found(words.spanning, kept):
            lookup.strict = False  # back to the window test alone: what a skipped line was kept by
            derived = []
            for line_index in triggered:
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
        value_line = _VALUE_LINE.match(line)
        if value_line is not None:
            # No attribute pair fits a value line: a pair needs two quoted strings after its first
            # ``=``, a value line has one at most, unquoted or quoted, and nothing after it.
            yield from _value_line(index, value_line, lookup)
        elif found(_PAIR_SHAPE, encoded):
            paired = False
            for pattern in _ATTRIBUTE_PAIRS:
                for match in pattern.finditer(line):
                    paired = True
                    yield _pair(index, match.group("name"), match.group("value"), match.start("value"))
            if paired:
                return
    elif lowered.lstrip().startswith("env"):
        docker = _DOCKER_ENV.match(line)
        if docker:
            yield _pair(index, docker.group("name"), docker.group("value"), docker.start("value"))
            return
    if "|" in line or ">" in line:
        header = _BLOCK_SCALAR.match(line)
        if header is not None:
            yield from _block_scalar(index, header, lookup)
            return
    if found(_TEXT_BASE64_IN_LINE, encoded):
        yield from _encoded(index, line)


def _value_line(index: int, value_line: re.Match[str], lookup: _Neighbours) -> Iterator[DerivedLine]:
    value = value_line.group("value")
    if len(set(value)) <= 1:
        # A value of one repeated character ({, 0, ***) is never a credential (the placeholder filter
        # drops it): not worth looking for its name.
        return
    indent = len(value_line.group("indent"))
    if not lookup.may_hold_word(index, indent, value):
        return
    # Every value key (value, default, parameterValue...) may take its block's name.
    name = lookup.sibling_name(index, indent) or lookup.block_name(index, indent)
    if name:
        yield _pair(index, name, value, value_line.start("value"))


def _block_scalar(index: int, header: re.Match[str], lookup: _Neighbours) -> Iterator[DerivedLine]:
    """``NAME: |`` or ``NAME: >-`` with the value on the next line, indented deeper, alone in the
    block (a credential is one token; a block of several lines is text, a script, or a key, which has
    rules of its own). The value's line must be one of the fragment's, as a derived line's always is."""
    following = index + 1
    if following >= len(lookup.texts) or lookup.numbers[following] != lookup.numbers[index] + 1:
        return
    value = _BLOCK_VALUE.match(lookup.texts[following])
    if value is None or len(value.group("indent")) <= len(header.group("indent")):
        return
    after = lookup.line(lookup.numbers[following] + 1)
    if after is not None and after.strip() and _indent(after) >= len(value.group("indent")):
        return  # more lines in the block
    yield _pair(following, header.group("name"), value.group("value"), value.start("value"))


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
        name_words: Callable[[], NameWords | None] | None = None,
        blob: bytes | None = None,
    ) -> None:
        self.texts = texts
        self.numbers = numbers
        self._first: int | None = None
        if isinstance(numbers, range) and numbers.step == 1 and len(numbers) == len(texts):
            self._first = numbers.start
        whole = self._first is not None and blob is not None
        #: Only a whole file holds every line a name can sit on: only there are values gated.
        self._name_words = name_words if whole else None
        self._gated = self._name_words is not None
        self._blob = blob
        self._words: NameWords | None = None
        self._named: Sequence[int] | None = None
        self._windows: list[_Window] | None = None
        self._by_number: dict[int, int] | None = None
        self.context = context
        self._file: Sequence[str] | None = None
        self._asked = False
        #: Whether ``may_hold_word`` tests the value and the name's line, not only the window.
        self.strict = True
        #: Whether the strict test refused a value line the window test alone would have kept.
        self.skipped = False

    @property
    def words(self) -> NameWords | None:
        """What a derived line needs for a rule to fire on it (None: cannot tell, or every line)."""
        self._load()
        return self._words

    def _load(self) -> None:
        if self._named is None and self._name_words is not None and self._blob is not None:
            self._words = self._name_words()
            if self._words is None:
                self._named = range(len(self.texts))
            elif self._windows is not None:
                blob, words = self._blob, self._words.words
                self._named = [
                    index
                    for window in self._windows
                    for index in matching_lines(words, blob, window.start, window.end, window.first)
                ]
            else:
                self._named = matching_lines(self._words.words, self._blob)

    def window(self, triggered: Sequence[int], anchors: Sequence[int]) -> None:
        """Keep to the lines within reach of the ``triggered`` ones (``anchors``: an offset in each),
        in a whole file: every line a look-up around them can read (BLOCK_SEARCH above, NEIGHBOURS
        below). The name words are then looked for in those lines only, and :meth:`windowed_texts`
        splits only those; in the real-code corpus they are 39 % of the lines of the files with a
        triggered line (both passes over whole files were 0.9 s of the derived stage's 2.3 s)."""
        if not self._gated or self._blob is None or not triggered:
            return
        self._windows = _windows(self._blob, len(self.texts), triggered, anchors)

    def windowed_texts(self) -> Sequence[str] | None:
        """The file's lines, split only within the windows (see :meth:`window`); None without them."""
        if self._windows is None or self._blob is None:
            return None
        return _WindowedTexts(self.texts, self._windows, self._blob)

    def line(self, number: int) -> str | None:
        """The text of line ``number`` of the new file, if known."""
        first = self._first
        if first is not None:  # numbered consecutively: by arithmetic
            index: int | None = number - first if 0 <= number - first < len(self.texts) else None
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

    def may_hold_word(self, index: int, indent: int, value: str) -> bool:
        """False when the derived line of the value at ``index`` (indented ``indent``) cannot hold a
        word a rule needs, whatever name ``sibling_name``/``block_name`` find for it.

        The name is read from a line NEIGHBOURS around the value's (``sibling_name``) or, when none
        is a name line, from the block header above it (``block_name``), so: the value itself holds a
        word, or a neighbour holding one is a name line, or the header line holds one. (A name line
        without a word taken before a header with one gives a derived line without a word too; this
        test keeps it, which only costs time.) Coarser first: a line holding a word within reach at
        all (BLOCK_SEARCH above, NEIGHBOURS below).
        """
        if not self.within_reach(index):
            return False
        named, words = self._named, self._words
        if named is None or words is None or not self.strict:
            return True
        low = bisect_left(named, index - BLOCK_SEARCH)
        if found(words.words, value.encode("utf-8", "replace")):
            return True
        position = bisect_left(named, index - NEIGHBOURS, low)
        while position < len(named) and named[position] <= index + NEIGHBOURS:
            neighbour = named[position]
            position += 1
            if neighbour != index:
                text = self.texts[neighbour]
                if _NAME_LINE.match(text) and abs(_indent(text) - indent) <= 2:
                    return True
        number = self.numbers[index]
        header = self._block_header(number, indent)
        if header is not None:
            header_index = index - (number - header)  # a whole file: numbered consecutively
            place = bisect_left(named, header_index, low)
            if place < len(named) and named[place] == header_index:
                return True
        self.skipped = True
        return False

    def within_reach(self, index: int) -> bool:
        """Whether a line holding a word is within reach of the value at ``index`` (BLOCK_SEARCH
        above, NEIGHBOURS below): :meth:`may_hold_word`'s first, coarse test, which needs no text."""
        if not self._gated:
            return True  # not a whole file: the names may sit on lines the fragment lacks
        self._load()
        named = self._named
        if named is None:
            return True
        low = bisect_left(named, index - BLOCK_SEARCH)
        return low < len(named) and named[low] <= index + NEIGHBOURS

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
        header = self._block_header(self.numbers[index], indent)
        if header is None:
            return None
        match = _BLOCK_HEADER.match(self.line(header) or "")
        if match:
            name = match.group("hcl") or match.group("key")
            if name and name.lower() not in _NOT_BLOCK_NAMES:
                return name
        return None

    def _block_header(self, number: int, indent: int) -> int | None:
        """The number of the line above ``number`` that opens the block of a value indented
        ``indent``: the first one, within BLOCK_SEARCH, indented less or opening a variable or
        parameter, not blank. None when there is none or a line on the way is unknown."""
        for above in range(number - 1, max(0, number - BLOCK_SEARCH), -1):
            text = self.line(above)
            if text is None:
                return None
            if not text.strip():
                continue
            if _indent(text) >= indent and not text.lstrip().startswith(("variable", "parameter")):
                continue
            return above
        return None


@dataclass(frozen=True, slots=True)
class _Window:
    """Lines ``first`` to ``last`` of a blob, in bytes ``start`` (a line's first) to ``end`` (the
    end of the last line, before its newline)."""

    first: int
    last: int
    start: int
    end: int


def _windows(blob: bytes, count: int, triggered: Sequence[int], anchors: Sequence[int]) -> list[_Window]:
    """The merged windows of lines BLOCK_SEARCH above to NEIGHBOURS below each ``triggered`` line (in
    order; ``anchors`` an offset in each) of a blob of ``count`` lines. Their bounds are found from
    the anchors with C-level searches for newlines, a few per window."""
    windows: list[_Window] = []
    position = 0
    while position < len(triggered):
        first = max(0, triggered[position] - BLOCK_SEARCH)
        start = blob.rfind(b"\n", 0, anchors[position]) + 1  # the triggered line's own start
        for _ in range(triggered[position] - first):
            start = blob.rfind(b"\n", 0, start - 1) + 1
        last = min(count - 1, triggered[position] + NEIGHBOURS)
        while position + 1 < len(triggered) and triggered[position + 1] - BLOCK_SEARCH <= last + 1:
            position += 1
            last = min(count - 1, triggered[position] + NEIGHBOURS)
        end = blob.find(b"\n", anchors[position])  # the newline ending the triggered line
        for _ in range(last - triggered[position]):
            if end < 0:
                break
            end = blob.find(b"\n", end + 1)
        windows.append(_Window(first, last, start, len(blob) if end < 0 else end))
        position += 1
    return windows


class _WindowedTexts(Sequence[str]):
    """A file's lines, split within the windows only; a line outside them (never asked for by the
    look-ups the windows were made for) comes from the whole split, as it would without windows."""

    def __init__(self, texts: Sequence[str], windows: list[_Window], blob: bytes) -> None:
        self._texts = texts
        self._windows = windows
        self._blob = blob
        self._firsts = [window.first for window in windows]
        #: Each window's lines, split on first use (most windows around value lines far from any
        #: name word are never read), or None while not split.
        self._lines: list[list[str] | None] = [None] * len(windows)
        self._length = len(texts)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, int) and 0 <= index < self._length:
            place = bisect_right(self._firsts, index) - 1
            if place >= 0 and index <= self._windows[place].last:
                lines = self._lines[place]
                if lines is None:
                    window = self._windows[place]
                    lines = self._lines[place] = self._blob[window.start : window.end].decode().split("\n")
                if index - self._firsts[place] < len(lines):
                    return lines[index - self._firsts[place]]
        return self._texts[index]


#: Block headers that name a container of settings, not the setting a value is for.
_NOT_BLOCK_NAMES = frozenset({"properties", "parameters", "spec", "data", "env", "variables"})


def _indent(text: str) -> int:
    stripped = text.lstrip(" \t-")
    return len(text) - len(stripped)
