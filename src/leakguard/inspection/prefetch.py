"""The blobs a push's scan will read, so a partial clone can fetch them in one batch before the scan.

A blobless clone has every commit and tree: the ids of the blobs each introduced commit changes (both
sides of every change, for every parent of a merge) are in its trees, listed here without reading any
content (``--raw``, no rename detection, which would read blobs). The scan's own ``git log -p`` then
finds them all present instead of fetching them one commit at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from leakguard.git import Git, validate_commit_id

_GITLINK = b"160000"
_NULL = frozenset({b"0" * 40, b"0" * 64})


def changed_blobs(git: Git, heads: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """Ids of the blobs on either side of every change of the commits ``heads`` bring past ``exclude``."""
    if not heads:
        return []
    stdin = "".join(f"^{validate_commit_id(c)}\n" for c in exclude).encode()
    command = ["log", "--raw", "--no-abbrev", "--no-renames", "--diff-merges=separate", "--format="]
    selection = ["--stdin", "--ignore-missing", *(validate_commit_id(h) for h in heads), "--"]
    seen: dict[bytes, None] = {}
    with git.stream([*command, *selection], input=stdin) as lines:
        for line in lines:
            if not line.startswith(b":"):
                continue
            fields = line.split(b"\t", 1)[0].lstrip(b":").split()
            count = (len(fields) - 1) // 2  # modes, then ids, then the status
            modes, ids = fields[:count], fields[count : 2 * count]
            for mode, oid in zip(modes, ids, strict=True):
                if mode != _GITLINK and oid not in _NULL:
                    seen.setdefault(oid, None)
    return [oid.decode("ascii") for oid in seen]
