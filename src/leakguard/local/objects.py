"""The object side of the CodeCommit stand-in: commits, differences and blobs read from a bare repository.

CodeCommit serves any object of a repository by id, reachable from a ref or not; so does this, from
the real bare repository standing in for the CodeCommit one (git keeps objects a force push dropped
until it collects garbage). Shapes follow the CodeCommit API; the stand-in validates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leakguard.errors import GitError
from leakguard.git import Git

_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class ObjectMissing(LookupError):
    """The repository holds no such object (or it is of another type)."""


class RepositoryObjects:
    """Reads one bare repository the way CodeCommit's object API answers."""

    def __init__(self, path: Path) -> None:
        self.git = Git(path, timeout=60)

    def commit(self, commit_id: str) -> dict[str, Any]:
        """``GetCommit``'s ``commit`` structure."""
        raw = self._object("commit", commit_id)
        head, _, message = raw.partition(b"\n\n")
        headers: dict[str, list[str]] = {}
        for line in head.decode("utf-8", "replace").split("\n"):
            if line and not line.startswith(" "):
                key, _, value = line.partition(" ")
                headers.setdefault(key, []).append(value)
        return {
            "commitId": commit_id,
            "treeId": headers["tree"][0],
            "parents": headers.get("parent", []),
            "message": message.decode("utf-8", "replace"),
            "author": _user(headers.get("author", [""])[0]),
            "committer": _user(headers.get("committer", [""])[0]),
            "additionalData": "",
        }

    def differences(self, before: str | None, after: str) -> list[dict[str, Any]]:
        """Every ``Difference`` between two commits (against the empty tree without ``before``)."""
        after_id = self.resolve(after)
        before_id = self.resolve(before) if before else _EMPTY_TREE
        output = self.git.run(["diff-tree", "-r", "-z", "--no-renames", "--raw", before_id, after_id])
        tokens = output.split(b"\x00")
        differences = []
        for meta, path in zip(tokens[0::2], tokens[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            old_mode, new_mode, old_id, new_id, status = meta[1:].decode("ascii").split(" ")
            name = path.decode("utf-8", "replace")
            difference: dict[str, Any] = {"changeType": status[0]}
            if status[0] != "A":
                difference["beforeBlob"] = {"blobId": old_id, "path": name, "mode": old_mode}
            if status[0] != "D":
                difference["afterBlob"] = {"blobId": new_id, "path": name, "mode": new_mode}
            differences.append(difference)
        return differences

    def blob(self, blob_id: str) -> bytes:
        """``GetBlob``'s content."""
        return self._object("blob", blob_id)

    def resolve(self, specifier: str) -> str:
        """A commit specifier (id, branch, tag) as a commit id."""
        if specifier.startswith("-"):
            raise ObjectMissing(specifier)
        try:
            return self.git.text(["rev-parse", "--verify", "--quiet", f"{specifier}^{{commit}}"])
        except GitError:
            raise ObjectMissing(specifier) from None

    def _object(self, kind: str, object_id: str) -> bytes:
        if object_id.startswith("-"):
            raise ObjectMissing(object_id)
        try:
            return self.git.run(["cat-file", kind, object_id])
        except GitError:
            raise ObjectMissing(object_id) from None


def _user(value: str) -> dict[str, str]:
    """``Name <email> 1700000000 +0000`` as CodeCommit's ``UserInfo``."""
    name, _, rest = value.partition(" <")
    email, _, date = rest.partition("> ")
    return {"name": name, "email": email, "date": date}
