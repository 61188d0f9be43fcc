"""False-positive predicates: small, separate, and applied to every detector's candidate secrets.

Each answers one question about a candidate secret or line. The engine asks them after a regex or a
plugin matched, never on clean lines, so their cost does not matter for throughput.
"""

from __future__ import annotations

import re

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
