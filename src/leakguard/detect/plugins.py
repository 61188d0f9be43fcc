"""detect-secrets' entropy and keyword plugins, run beside the rules on candidate lines only.

detect-secrets analyses every line in Python, which is what makes it slow. Here one RE2 pass over the
whole fragment finds the few lines where a plugin hit could survive the filters below (a secret-ish
name before a quoted random-looking token, a denylisted name assigned a value), and the plugins run on
those lines, or on windows around the candidate in a very long line. Their hits then pass
detect-secrets' own heuristic filters plus leakguard's context filters, which are what keep hashes,
UUIDs, lockfile integrity values and public keys away from admins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from types import ModuleType
from typing import Any

import re2

from leakguard.detect.candidate import PRIORITY_PLUGIN, Candidate
from leakguard.detect.entropy import shannon_entropy
from leakguard.detect.filters import is_placeholder, placeholder_runs
from leakguard.detect.lines import matching_lines
from leakguard.detect.pattern_text import ascii_superset
from leakguard.rules.model import DetectorSettings, re2_options

_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
#: Lines longer than this are analysed in windows around each candidate, not whole.
WINDOW = 240

_QUOTED_TOKEN = rb"""["'`][A-Za-z0-9+/=_\-]{20,}["'`]"""
#: detect-secrets' keyword plugin only fires on assignments: a keyword, a short gap, an operator, a value.
#: The words cover its whole denylist (``_DENYLIST``: ``client_key``, ``db_key``... too).
_KEYWORD_ASSIGNMENT = (
    rb"(?i)(?:pass|pwd|secret|token|api_?key|auth|credential|private_?key|contrase"
    rb"|(?:service|account|db|database|priv|client)_?key)"
    rb"[^\n;{}(),]{0,40}?(?:[=:]=?|=>)\s*[\"'`\w]"
)


#: Names that say the value next to them is a secret.
_CONTEXT_WORDS = (
    r"secret|passw|pwd|token|api[_\-.]?key|access[_\-.]?key|private[_\-.]?key|signing|"
    r"credential|auth|bearer|session[_\-.]?key|encryption[_\-.]?key|master[_\-.]?key"
)
_SECRET_CONTEXT = re.compile(r"(?i)(" + _CONTEXT_WORDS + ")")


def _re2_words(words: str) -> bytes:
    """``words`` (a ``(?i)`` alternation of ASCII words) for RE2, matching every string Python's ``re``
    matches with it. Python folds ``i`` with ``İ`` and ``ı`` too, RE2 does not; every other letter
    folds alike in both (``k`` with the Kelvin sign, ``s`` with ``ſ``): tested over all of Unicode."""
    return b"(?i:" + words.replace("i", "[iİı]").encode() + b")"


_WORD = b"(?i:" + _CONTEXT_WORDS.encode() + b")"
#: A quoted token and a secret-ish word on one line, in any order: the lines the entropy family has
#: always analysed (and still does, among those ``_ENTROPY_LINE`` finds). The word holds no quote, so
#: it lies before the token, after it, or inside its body.
_QUOTED_IN_CONTEXT = (
    _WORD + rb"[^\n]*" + _QUOTED_TOKEN
    + rb"|" + _QUOTED_TOKEN + rb"[^\n]*" + _WORD
    + rb"""|["'`][A-Za-z0-9+/=_\-]*""" + _WORD + rb"""[A-Za-z0-9+/=_\-]*["'`]"""
)  # fmt: skip

#: Shortest values the entropy plugins can report at their default limits: a string of n characters
#: has at most log2(n) bits of entropy, and base64 needs more than 4.5 (log2(22) = 4.46), hex more than
#: 3.0 (eight different digits give exactly 3.0).
_BASE64_MIN, _HEX_MIN = 23, 9
#: The lines where an entropy hit can be kept. ``_is_false_positive`` keeps a hit only when a secret-ish
#: name lies *before* it in the analysed text (a window of the line, or the line), and detect-secrets
#: reports only values between two equal quotes (' or ", never `) made of its charset (base64: letters,
#: digits, ``+/\-_=`` -- the backslash included; hex: hex digits), at least ``_BASE64_MIN`` or
#: ``_HEX_MIN`` long. So a kept hit's line holds the word, then a quote, the value, a quote: this
#: pattern, or more. A name only after the value, or inside it, can never be kept.
_ENTROPY_VALUE = rb"""['"](?:[A-Za-z0-9+/=_\\\-]{%d,}|[0-9A-Fa-f]{%d,})['"]""" % (_BASE64_MIN, _HEX_MIN)
_ENTROPY_LINE = _re2_words(_CONTEXT_WORDS) + rb"[^\n]*" + _ENTROPY_VALUE

#: detect-secrets' KeywordDetector denylist (``detect_secrets.plugins.keyword.DENYLIST``).
_DENYLIST = (
    "api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|private_?key|"
    "client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|secret|contraseña|contrasena"
)
_DENIED = _re2_words(_DENYLIST)
#: RE2 classes holding every character Python's ``\w`` and ``\s`` match in a line (Python's are
#: Unicode, RE2's ASCII; RE2's ``\s`` leaves out ``\v``): ASCII ones plus any non-ASCII character.
_W = rb"(?:[0-9A-Za-z_]|[^\x00-\x7f])"
_S = rb"(?:[\t\r\f \x0b\x1c-\x1f]|[^\x00-\x7f])"
#: A kept keyword value: detect-secrets' ``SECRET`` (a word character first, then no quote or ``\v``)
#: that ``_is_weak_keyword_value`` does not drop (six characters or more, no space).
_VALUE = _W + rb"""[^ '"\x0b\n]{5}"""
_VALUE_TO_END = _W + rb"""[^ '"\x0b\n]{5,}"""
_KQ = rb"""['"`]"""
#: The lines where a keyword hit can be kept: each of KeywordDetector's regexes, relaxed. All but two
#: are ``DENYLIST \w* [closing quote or bracket] \s* operator \s* [@] [quote] SECRET``; the others
#: are ``DENYLIST \w* [.assign] ("SECRET"`` and ``DENYLIST ... QUOTE SECRET QUOTE;``; and one puts the
#: value first: ``QUOTE SECRET QUOTE \s* == \s* \w* DENYLIST`` (case-sensitive there, so (?i) is more).
_KEYWORD_LINE = b"|".join(
    (
        _DENIED + _W + rb"""*(?:[\]'"]{0,2}|\[[0-9]*\])""" + _S + rb"*[:=!]{1,3}>?" + _S + rb"*@?"
        + _KQ + b"?" + _VALUE,
        _DENIED + _W + rb'*(?:[^\n]assign)?\("' + _VALUE,
        _DENIED + rb"[^\n]*" + _KQ + _VALUE_TO_END + _KQ + b";",
        _KQ + _VALUE_TO_END + _KQ + _S + rb"*[!=]{2,3}" + _S + b"*" + _W + b"*" + _DENIED,
    )
)  # fmt: skip


class _Prefilter:
    """RE2 patterns run twice: once over a fragment (one hit per line), once inside long lines."""

    def __init__(self, pattern: bytes, *, line_pattern: bytes | None = None) -> None:
        self.line = re2.compile(b"(?:" + (line_pattern or pattern) + rb")[^\n]*", re2_options())
        self.hits = re2.compile(pattern, re2_options())


_QUOTED = _Prefilter(_QUOTED_TOKEN, line_pattern=_QUOTED_IN_CONTEXT)
_ASSIGNMENT = _Prefilter(_KEYWORD_ASSIGNMENT)
#: The plugin families, in the order their hits are reported, with the prefilter choosing their lines.
_FAMILIES = {"high-entropy": _QUOTED, "keyword": _ASSIGNMENT}
_KEEPABLE_LINE = {"high-entropy": _ENTROPY_LINE, "keyword": _KEYWORD_LINE}


@cache
def _keepable_line(family: str) -> Any:
    """``_KEEPABLE_LINE[family]`` alone: whether a line of the one pass can give this family a hit."""
    return re2.compile(_KEEPABLE_LINE[family], re2_options())


def _found(regex: Any, encoded: bytes) -> bool:
    """Whether ``regex`` (a compiled bytes pattern) matches in ``encoded``, without a match object (the
    module's ``search`` maps every offset back to characters, for a yes or no)."""
    return bool(regex._regexp.Match(_UNANCHORED, encoded, 0, len(encoded))[0][0] >= 0)


@cache
def _line_alternation(families: tuple[str, ...]) -> bytes:
    """Where any of ``families`` can keep a hit, within one line."""
    return b"(?:" + b"|".join(_KEEPABLE_LINE[family] for family in families) + b")"


@cache
def _line_filter(families: tuple[str, ...]) -> Any:
    """The one RE2 pattern finding, per line, where any of ``families`` can keep a hit."""
    return re2.compile(_line_alternation(families) + rb"[^\n]*", re2_options())


#: Names and markers that say a random-looking value is a digest, an id or public material.
_PUBLIC_CONTEXT = re.compile(
    r"(?i)(sha(1|224|256|384|512)?\b|sha\d*[-_:]|md5|hash|digest|checksum|integrity|commit|revision|\brev\b|"
    r"etag|fingerprint|nonce|uuid|guid|ssh-(rsa|ed25519|dss)|ecdsa-sha2|public|pubkey|certificate|"
    r"BEGIN CERT|\bid\b|_id\b|\bids\b|sri|\bkid\b|thumbprint|signature|\bsig\b|resolved|tarball|\.lock|"
    r"next_?token|continuation|pagination|page_?token|marker|cursor|upload_?id|name[\"']?\s*[:=])"
    # camelCase ids (jobId, ArchiveId, requestID) name identifiers, not secrets
    r"|[a-z](?:Id|ID)[\"']?\s*[:=]"
)
#: Base64 of binary formats and public material: PNG, JPEG, GIF, zip, PDF, XML, SVG, DER (certificates,
#: public keys; DER private keys have a rule of their own), SSH public keys, zero-padded data.
_BASE64_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UEsDB", "JVBERi0", "PD94bWw", "PHN2Zy", "MII", "AAAA")
_SRI = re.compile(r"^sha(1|256|384|512)-")
#: A class name of words, acronyms and API versions (``GoogleCloudDialogflowCxV3beta1WebhookConfig``,
#: ``V1SecretVolumeSource``): generated API clients name their message types so, beside ``oauth``.
#: Words have three letters or more, or two before a capital; 0.03 % of random 32-character base64.
_CLASS_NAME = re.compile(
    r"^(?:[A-Z][a-z]{2,}[0-9]*|[A-Z][a-z](?=[A-Z])|[A-Z]{1,5}(?=[A-Z][a-z]{2})"
    r"|[A-Z][0-9]+(?:(?:alpha|beta)[0-9]+)?|[A-Z]{2,5}$)+$"
)

_PLUGIN_NAMES = {
    "Base64HighEntropyString": ("high-entropy-base64", "High-entropy base64 string (detect-secrets)"),
    "HexHighEntropyString": ("high-entropy-hex", "High-entropy hex string (detect-secrets)"),
    "KeywordDetector": ("secret-keyword", "Secret assigned to a secret-named variable (detect-secrets)"),
}


class SecretPlugins:
    """The detect-secrets plugins enabled by a rule set's ``detectors`` section.

    detect-secrets is imported when a line first needs it (importing it costs a CLI start-up about
    0.2 s, and most files never get that far).
    """

    def __init__(self, *, high_entropy: DetectorSettings, keyword: DetectorSettings) -> None:
        self._settings = {"high-entropy": high_entropy, "keyword": keyword}
        self._plugins: dict[str, tuple[Any, ...]] = {}

    def plugins(self, family: str) -> tuple[Any, ...]:
        """The plugin instances of ``family`` (``high-entropy`` or ``keyword``), made on first use."""
        if family not in self._plugins:
            if not self._settings[family].enabled:
                self._plugins[family] = ()
            elif family == "high-entropy":
                from detect_secrets.plugins.high_entropy_strings import (
                    Base64HighEntropyString,
                    HexHighEntropyString,
                )

                self._plugins[family] = (Base64HighEntropyString(), HexHighEntropyString())
            else:
                from detect_secrets.plugins.keyword import KeywordDetector

                self._plugins[family] = (KeywordDetector(),)
        return self._plugins[family]

    def located_filter(self) -> str | None:
        """What a Vectorscan gate can locate for :meth:`scan` instead of its own RE2 pass (None: no
        family is enabled): the alternation of :func:`_line_filter`, its non-ASCII letters made any
        non-ASCII character (``contraseña``, ``[iİı]``; see ``ascii_superset``), so every line the pass
        finds holds a match end, and a few more; ``scan`` tests those lines with the exact pass."""
        families = self._families()
        return ascii_superset(_line_alternation(families).decode("utf-8")) if families else None

    def _families(self) -> tuple[str, ...]:
        return tuple(family for family in _FAMILIES if self._settings[family].enabled)

    def scan(
        self, path: str, texts: Sequence[str], blob: bytes, located: Sequence[int] | None = None
    ) -> Iterator[Candidate]:
        """Yield the plugins' hits in ``texts`` (the fragment's lines; ``blob`` is them joined, UTF-8).

        One RE2 pass finds the lines where an enabled family can keep a hit (``_ENTROPY_LINE``,
        ``_KEYWORD_LINE``: each is implied by what the family's filters keep, so no kept hit is lost);
        of those, each family analyses the lines its own prefilter has always chosen. ``located``,
        when a gate located :meth:`located_filter` in ``blob``, is the lines it matched on (in order,
        once each): only those are tested with the pass's pattern, one by one, instead of the pass.
        """
        families = self._families()
        if not families:
            return
        line_filter = _line_filter(families)
        if located is None:
            lines = matching_lines(line_filter, blob)
        else:
            lines = [index for index in located if _found(line_filter, texts[index].encode("utf-8"))]
        if not lines:
            return
        skipped_file: bool | None = None  # a lock or swagger file: asked once a line needs a plugin
        for family in families:
            prefilter = _FAMILIES[family]
            # a line the other family's part of the pass let through may still hold nothing for this one
            keepable = _keepable_line(family) if len(families) > 1 else None
            for index, segment, offset, whole in _candidate_segments(prefilter, texts, lines, keepable):
                if family == "high-entropy" and not (
                    _SECRET_CONTEXT.search(segment) and (not whole or prefilter.hits.search(segment))
                ):
                    continue  # an entropy hit only counts under a secret-ish name (see below)
                if skipped_file is None:
                    skipped_file = _heuristic().is_lock_file(path) or _heuristic().is_swagger_file(path)
                if skipped_file:
                    return
                for plugin in self.plugins(family):
                    yield from self._analyse(plugin, family, path, index, segment, offset)

    def _analyse(
        self, plugin: Any, family: str, path: str, index: int, segment: str, offset: int
    ) -> Iterator[Candidate]:
        settings = self._settings[family]
        rule_id, description = _PLUGIN_NAMES[type(plugin).__name__]
        for hit in plugin.analyze_line(filename=path, line=segment, line_number=index + 1):
            secret = hit.secret_value or ""
            # Judge the hit by its segment: a window of a long line is context enough, and the
            # heuristics' own regexes must never run over a multi-megabyte line.
            if not secret or _is_false_positive(plugin, family, secret, segment):
                continue
            column = segment.find(secret)
            yield Candidate(
                rule_id=rule_id,
                description=description,
                severity=settings.severity,
                mode=settings.mode,
                detector=f"detect-secrets:{type(plugin).__name__}",
                priority=PRIORITY_PLUGIN,
                line_index=index,
                column=offset + max(column, 0),
                secret=secret,
            )


@cache
def _heuristic() -> ModuleType:
    """detect-secrets' heuristic filters, imported on first use."""
    from detect_secrets.filters import heuristic

    return heuristic


def _candidate_segments(
    prefilter: _Prefilter, texts: Sequence[str], lines: Sequence[int], keepable: Any = None
) -> Iterator[tuple[int, str, int, bool]]:
    """(line index, text to analyse, its column in the line, whether that is the whole line) for every
    line of ``lines`` the prefilter hits (and ``keepable``, when given, too).

    A short line is analysed whole. A very long line (minified code) is analysed in windows around
    each hit, so the plugins' own backtracking regexes never see more than a few hundred characters.
    """
    for line_index in lines:
        line = texts[line_index]
        encoded = line.encode("utf-8")
        if keepable is not None and not _found(keepable, encoded):
            continue
        if not _found(prefilter.line, encoded):
            continue
        if len(line) <= 4 * WINDOW:
            yield line_index, line, 0, True
        else:
            yield from _long_line_windows(prefilter, line_index, line)


def _long_line_windows(
    prefilter: _Prefilter, line_index: int, line: str
) -> Iterator[tuple[int, str, int, bool]]:
    encoded = line.encode("utf-8")
    char_at, byte_at, window_end = 0, 0, -1
    for hit in prefilter.hits.finditer(encoded):
        char_at += len(encoded[byte_at : hit.start()].decode("utf-8", "replace"))
        byte_at = hit.start()
        if char_at + WINDOW // 2 <= window_end:
            continue  # well inside the window already analysed
        window_start, window_end = max(0, char_at - WINDOW // 4), char_at + WINDOW
        yield line_index, line[window_start:window_end], window_start, False


def _is_false_positive(plugin: Any, family: str, secret: str, line: str) -> bool:
    """detect-secrets' heuristics plus the contexts that make random-looking values harmless."""
    heuristic = _heuristic()
    if (
        is_placeholder(secret)
        or heuristic.is_sequential_string(secret)
        or heuristic.is_potential_uuid(secret)
        or heuristic.is_templated_secret(secret)
        or heuristic.is_prefixed_with_dollar_sign(secret)
        or heuristic.is_likely_id_string(secret, line, plugin)
        or _SRI.match(secret)
    ):
        return True
    if family == "keyword":
        key = line[: max(line.find(secret), 0)]
        return (
            placeholder_runs(secret) >= 2
            or heuristic.is_indirect_reference(line)
            or bool(_METADATA_KEY.search(key))
            or bool(_TYPE_NAME_KEY.search(key))
            or _names_its_key(secret, key)
            or _is_weak_keyword_value(secret)
        )
    if secret.startswith(_BASE64_MAGIC) or placeholder_runs(secret) or _CLASS_NAME.match(secret):
        return True
    before = line[: max(line.find(secret), 0)]
    if _PUBLIC_CONTEXT.search(before) or _PUBLIC_CONTEXT.search(line[line.find(secret) + len(secret) :][:40]):
        return True
    # Only a name that says "secret" makes a random-looking value worth an admin's time: unnamed random
    # strings are mostly ids, digests and encoded data, and provider tokens have rules of their own.
    return not _SECRET_CONTEXT.search(before)


_NOT_A_SECRET_VALUE = re.compile(
    r"""^(?:[A-Z][A-Z0-9_]*[A-Z0-9]          # a constant or environment variable name
       | [a-z]+(?:[A-Z][a-z0-9]*)+         # a camelCase identifier
       | [a-z][a-z0-9]*(?:_[a-z0-9]+)+     # a snake_case identifier
       | [A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+    # a dotted name: spec.preferredAuthentication, a.b.Class
       | (?:list\[)?V[0-9]+(?:(?:alpha|beta)[0-9]+)?[A-Z][A-Za-z0-9]*\]?  # list[V1ObjectReference]
       | [a-z]+(?:-[a-z]+)+                # a kebab-case name (letters only: my-cool-name)
       | [\w.~-]*/[\w./~-]*              # a path or a name like prod/db/credentials
       | [\w./~-]+\.(?:json|ya?ml|toml|ini|env|pem|key|crt|cer|txt|cfg|conf|properties|xml)
       | \w+://\S*                        # a URL (credentials in URLs have their own rules)
       )$""",
    re.VERBOSE,
)
#: Keys that describe a password rather than hold one (PasswordLastUsed, secret_name, token_type).
_METADATA_KEY = re.compile(
    r"(?i)(?:pass(?:word)?|secret|token|key)[\w.-]*?(?:name|type|file|path|url|uri|field|label|last|used|"
    r"date|time|expir|length|policy|hint|reset|format|prompt|min|max|_?id\b|count|version|arn)[\w-]*[\"']?\s*(?:[:=]|=>)"
)
#: Keys that are type names, not variables: ``"AWS::SecretsManager::Secret": "<digest>"`` (cfn-lint's
#: schema maps), ``Foo::ApiKey =``. A secret-ish word inside a namespaced type says nothing about the value.
_TYPE_NAME_KEY = re.compile(r"""[A-Za-z0-9]::[A-Za-z0-9:]*[\"']?\s*(?:[:=]|=>)\s*[\"'`]?$""")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
#: The name a keyword value is assigned to: the last name before the value (``CONFIGAPI_KEY`` in
#: ``CONFIGAPI_KEY = '``), not the whole line before it.
_KEY_NAME = re.compile(r"([\w.-]+)\W*$")


def _names_its_key(secret: str, key: str) -> bool:
    """Whether the value is the key's own name or a part of it (``CONFIGAPI_KEY = 'configapi'``): a name
    constant, not a credential."""
    name = _KEY_NAME.search(key)
    value = _NOT_ALNUM.sub("", secret.lower())
    return name is not None and len(value) >= 4 and value in _NOT_ALNUM.sub("", name.group(1).lower())


_DATE_OR_NUMBER = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$|^[\d.,:-]+$")
#: Whole values that are a type, a constant or the name of a configuration or environment
#: (``SECRET_KEY = "config"`` in Flask's tests), not a credential.
_WORD_VALUES = frozenset(
    {"true", "false", "none", "null", "nil", "undefined", "string", "bytes", "required", "config"}
    | {"boolean", "integer", "number", "object", "double", "float"}  # apiKeyRequired: "boolean"
    | {"dynamic", "static"}  # gcloud's completion table: "--secret": "dynamic"
    | {"configuration", "settings", "development", "production", "testing", "staging"}
)
#: Words that make a value the name of a credential rather than one: ``password123``, ``my-secret``, a
#: property map's ``privateKey: "PrivateKey"``, a type annotation's ``private_key: "_DSAPrivateKey"``.
_KEY_WORDS_IN_VALUE = (
    *("passw", "secret", "token", "apikey", "api_key", "changeme", "credential"),
    *("privatekey", "private_key", "accesskey", "access_key"),
)


def _is_weak_keyword_value(secret: str) -> bool:
    """Values next to ``password =`` that are not credentials: words, names, paths, placeholders.

    A value that repeats the secret word (``password123``, ``my-secret``) is a placeholder or a test
    value, and identifiers, paths and URLs are references to a secret, not the secret.
    """
    value = secret.strip("'\"")
    lowered = value.lower()
    if len(value) < 6 or " " in value or _NOT_A_SECRET_VALUE.match(value) or _DATE_OR_NUMBER.match(value):
        return True
    if lowered in _WORD_VALUES:
        return True
    if any(word in lowered for word in _KEY_WORDS_IN_VALUE):
        return True
    return shannon_entropy(value) < 2.5
