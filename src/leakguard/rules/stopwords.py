"""Stopwords: words that mark a placeholder when they are the value, or a word of it, never any substring.

Matching a stopword anywhere inside a secret drops real passwords: ``Admin2024!`` holds ``admin``,
``R00tPassw0rd!`` holds ``passw0rd``, ``Redis-Pr0d-77`` holds ``redis``, yet none is a placeholder.
A placeholder is recognisable in three shapes, and only these are allowed:

* the whole value is the word, maybe with a conventional filler suffix: ``changeme``, ``Password123``,
  ``admin!``, ``secret_1``;
* the word is one of the value's words, where words are separated by spaces or punctuation other than
  ``-`` and ``_`` (``insert key here``, ``example.com``, ``token:dummy``);
* the value is a phrase of words joined by ``-`` or ``_`` and the word is one of them:
  ``user-password``, ``your-example-token``, ``sk_test_dummy_key_1`` (at least two plain words, so a
  password such as ``Redis-Pr0d-77`` is not a phrase).

The file-wide list (``changeme``, ``example``, ``placeholder``...) holds words nobody puts in a real
secret, so it also matches camelCase words (``ExamplePassword123!``); a rule's own list holds weak
values (``admin``, ``root``, ``test``) that are placeholders only as a value or a word of one.

A stopword written with punctuation (``your_``, ``change-me``, ``not-a-real``) is itself a phrase
fragment specific enough to match anywhere a word starts: at the value's start or after a character
that is not a letter or digit (``YOUR_API_KEY``, ``insert_your_key``), never inside a run of them, where
random base64url holds it by chance (``...CWJtODo_iFYO`` is no ``todo_``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What may follow a placeholder word that is the whole value: 1, 12, 123 ... 123456, 0, 00, 01, !, _1.
_FILLER = r"[-_.]?(?:1(?:2(?:3(?:4(?:5(?:6)?)?)?)?)?|0{1,3}|01)?[!.#*?]*"
_WORD_SEPARATORS = re.compile(r"[^a-z0-9_\-]+")
_PHRASE_SEPARATORS = re.compile(r"[-_]+")
_QUOTES = "'\"` \t"
#: Words of camelCase and digit runs: ``ExamplePassword123`` → Example, Password, 123.
_CAMEL_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


class Stopwords:
    """A compiled list of stopwords (lower case) answering :meth:`allows` for candidate secrets."""

    def __init__(self, words: Iterable[str], *, camel_case: bool = False) -> None:
        unique = tuple(dict.fromkeys(word.lower() for word in words if word))
        self.words = unique
        self.camel_case = camel_case
        phrases = [word for word in unique if not word.isalnum()]
        self._phrases = (
            re.compile("|".join(("(?<![a-z0-9])" if w[0].isalnum() else "") + re.escape(w) for w in phrases))
            if phrases
            else None
        )
        plain = [word for word in unique if word.isalnum()]
        self._plain = frozenset(plain)
        self._whole = (
            re.compile(
                "^(?:"
                + "|".join(re.escape(w) for w in sorted(plain, key=len, reverse=True))
                + ")"
                + _FILLER
                + "$"
            )
            if plain
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.words)

    def allows(self, secret: str) -> bool:
        """True when ``secret`` is a placeholder by one of this list's words (see the module doc)."""
        value = secret.strip(_QUOTES).lower()
        if not value:
            return False
        if self._phrases is not None and self._phrases.search(value):
            return True
        if not self._plain:
            return False
        if self._whole is not None and self._whole.match(value):
            return True
        words = [w for w in _WORD_SEPARATORS.split(value) if w]
        if len(words) > 1 and any(self._allows_word(word) for word in words):
            return True
        if self.camel_case and any(w.lower() in self._plain for w in _CAMEL_WORDS.findall(secret)):
            return True
        # a phrase may be one word of the value too: ``##invalid-password##``, ``<my-secret-token>``
        return any(self._is_placeholder_phrase(word) for word in words)

    def _allows_word(self, word: str) -> bool:
        return word in self._plain or bool(self._whole is not None and self._whole.match(word))

    def _is_placeholder_phrase(self, value: str) -> bool:
        parts = [part for part in _PHRASE_SEPARATORS.split(value) if part]
        words = sum(part.isalpha() for part in parts)
        if len(parts) < 2 or words < 2 or (len(parts) == 2 and words < 2):
            return False
        return any(part in self._plain for part in parts)
