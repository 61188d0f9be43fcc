"""False-positive predicates: small, separate, and applied to every detector's candidate secrets.

Each answers one question about a candidate secret or line. The engine asks them after a regex or a
plugin matched, never on clean lines, so their cost does not matter for throughput.
"""

from __future__ import annotations

import re
import string

#: The inline marker a developer puts on a line to accept a false positive (any comment syntax).
INLINE_ALLOW_MARKER = "leakguard:allow"

_TEMPLATE = re.compile(
    r"""\$\{[^}]*\}?      # ${VAR}
      | \{\{.*\}\}         # {{ var }}
      | ^\{[A-Za-z_][\w.\[\]'"]*\}$   # {var} (str.format, f-strings)
      | ^\$[A-Za-z_]\w*$  # $VAR
      | ^%\(?\w+\)?s?%?$  # %(var)s, %VAR%
      | ^<[^<>]+>$        # <your-token>
      | ^\[[^\[\]]+\]$    # [token]
      | \$\(              # $(command)
    """,
    re.VERBOSE,
)
_INDIRECTION = re.compile(
    r"(?i)(os\.environ|getenv|process\.env|env\(|\benv\.|secrets\.|config\[|settings\.|vault:|ssm:|"
    r"secretsmanager|\{\{|\}\})"
)
_MASKED = re.compile(r"(?i)^(?:x{4,}|\*{3,}|#{4,}|\.{3,}|-{4,}|_{4,}|0{6,}|…+)$|x{5,}|\*{4,}")
_REPEATED = re.compile(r"^(.)\1*$")


def _runs() -> list[str]:
    alphabets = (string.ascii_lowercase, string.digits)
    runs = [
        seq[i : i + 6]
        for alphabet in alphabets
        for seq in (alphabet, alphabet[::-1])
        for i in range(len(seq) - 5)
    ]
    typed = ["qwerty", "asdfgh", "zxcvbn", "a1b2c3", "1a2b3c"]
    return [*runs, *typed, *(run[::-1] for run in typed)]


#: Six letters or digits in a row of the alphabet or the keyboard (``abcdef``, ``123456``, ``qwerty``):
#: what a person types as a documentation value (``abcdef1234567890abcdef1234567890``), never part of
#: a random one. The same runs as the generic key/token/secret rules' allowlist entry in the rules file.
_PLACEHOLDER_RUN = re.compile("(?i)(?:" + "|".join(_runs()) + ")")


def placeholder_runs(secret: str) -> int:
    """How many typed runs (:data:`_PLACEHOLDER_RUN`, apart) ``secret`` holds. One makes a placeholder
    of a value expected random (a key, a token); a password needs two, since people put ``123456``
    in real ones."""
    return len(_PLACEHOLDER_RUN.findall(secret))


def is_placeholder(secret: str) -> bool:
    """True when ``secret`` is a template, a variable reference or a masked value, not a credential.

    Covers ``${VAR}``, ``{{ var }}``, ``$VAR``, ``<your-token>``, ``os.environ[...]``, ``process.env.X``,
    ``xxxx``/``****`` masks and single-character repetitions. Word placeholders (``changeme``,
    ``example``) live in the rules file's global stopwords, where the security team can tune them.
    """
    stripped = secret.strip("'\"` ")
    if not stripped:
        return True
    return bool(
        _REPEATED.match(stripped)
        or _TEMPLATE.search(stripped)
        or _INDIRECTION.search(stripped)
        or _MASKED.search(stripped)
    )


def has_inline_allow(line: str) -> bool:
    """True when the line carries the ``leakguard:allow`` marker."""
    return INLINE_ALLOW_MARKER in line


#: A long unbroken word in a reason could be a credential: never pass one on.
_RANDOM_WORD = re.compile(r"^\S*[A-Za-z0-9+/=_-]{20,}\S*$")
_REASON_SEPARATORS = " \t:-=,;()[]\"'"
_COMMENT_CLOSERS = ("*/", "-->", "%>", "#}", "}}")


def inline_allow_reason(line: str, secret: str) -> str:
    """The developer's words after ``leakguard:allow`` (``# leakguard:allow test fixture``).

    They go into the admins' bypass notice, so the secret is cut out should it follow the marker,
    control characters are dropped and the text is clipped to 120 characters.
    """
    position = line.find(INLINE_ALLOW_MARKER)
    if position < 0:
        return ""
    reason = line[position + len(INLINE_ALLOW_MARKER) :]
    for closer in _COMMENT_CLOSERS:
        reason = reason.split(closer, 1)[0]
    reason = "".join(ch if ch.isprintable() else " " for ch in reason).strip(_REASON_SEPARATORS)
    if secret:
        reason = reason.replace(secret, "[secret]")
    reason = " ".join(_RANDOM_WORD.sub("[redacted]", word) for word in reason.split())
    return reason[:119] + "…" if len(reason) > 120 else reason
