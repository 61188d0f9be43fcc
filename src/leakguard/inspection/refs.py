"""The branches and tags of a clone, and which of them carry given commits. Git decides; one call each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from leakguard.errors import GitError
from leakguard.git import Git, validate_commit_id, validate_ref_name
from leakguard.refnames import REF_NAMESPACES

_FORMAT = "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)"


@dataclass(frozen=True)
class RefTip:
    """A branch or tag: the object it holds (a tag object for annotated tags) and the commit behind it."""

    full_name: str
    object_id: str
    commit_id: str

    @property
    def annotated(self) -> bool:
        """An annotated tag: the ref holds a tag object, whose message is content of its own."""
        return self.object_id != self.commit_id

    @property
    def kind(self) -> str:
        """``branch`` or ``tag``, as CodeCommit's events say."""
        return "tag" if self.full_name.startswith("refs/tags/") else "branch"


def list_refs(git: Git, *, contains: Sequence[str] = (), merged: str | None = None) -> list[RefTip]:
    """Branches and tags pointing at commits; ``contains``: only those reaching any of these commits.

    ``merged``: only refs whose commit ``merged`` reaches. Refs to trees or blobs (possible for tags)
    are left out: they carry no history.
    """
    args = ["for-each-ref", _FORMAT]
    for commit in contains:
        args.append(f"--contains={validate_commit_id(commit)}")
    if merged is not None:
        args.append(f"--merged={validate_commit_id(merged)}")
    tips = []
    nested: list[tuple[str, str]] = []
    for line in git.text([*args, *REF_NAMESPACES]).splitlines():
        fields = line.split(" ", 4)
        if len(fields) != 5:
            continue
        object_id, object_type, peeled, peeled_type, name = fields
        if object_type == "commit":
            tips.append(RefTip(name, validate_commit_id(object_id), object_id))
        elif object_type == "tag" and peeled_type == "commit":
            tips.append(RefTip(name, validate_commit_id(object_id), validate_commit_id(peeled)))
        elif object_type == "tag" and peeled_type == "tag":
            nested.append((name, validate_commit_id(object_id)))
    for name, object_id in nested:  # a tag of a tag: rare, peel it fully
        peeled_commit = peel(git, object_id)
        if peeled_commit is not None:
            tips.append(RefTip(name, object_id, peeled_commit))
    return sorted(tips, key=lambda tip: tip.full_name)


def resolve(git: Git, full_name: str) -> RefTip | None:
    """The ref ``full_name`` as the clone has it now; None when it does not exist (or holds no commit)."""
    args = ["for-each-ref", _FORMAT, validate_ref_name(full_name)]
    for line in git.text(args).splitlines():
        if line.endswith(" " + full_name):
            object_id, object_type = line.split(" ", 2)[:2]
            commit = object_id if object_type == "commit" else peel(git, object_id)
            return RefTip(full_name, validate_commit_id(object_id), commit) if commit else None
    return None


def peel(git: Git, object_id: str) -> str | None:
    """The commit an object (commit or chain of tags) stands for; None for trees, blobs, unknown ids."""
    text = (
        git.run(
            ["rev-parse", "--verify", "--quiet", f"{validate_commit_id(object_id)}^{{commit}}"], check=False
        )
        .decode("ascii", "replace")
        .strip()
    )
    return validate_commit_id(text) if text else None


def present(git: Git, object_ids: Iterable[str]) -> dict[str, str]:
    """Which of ``object_ids`` the clone holds, with their type (``commit``, ``tag``...): one git call."""
    wanted = [validate_commit_id(o) for o in dict.fromkeys(object_ids)]
    if not wanted:
        return {}
    out = git.text(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"], input="\n".join(wanted).encode()
    )
    found = {}
    for line in out.splitlines():
        fields = line.split(" ")
        if len(fields) == 2 and fields[1] != "missing":
            found[fields[0]] = fields[1]
    return found


def independent(git: Git, commits: Iterable[str]) -> list[str]:
    """The commits of ``commits`` that no other of them reaches (git merge-base --independent)."""
    unique = sorted({validate_commit_id(c) for c in commits})
    if len(unique) <= 1:
        return unique
    try:
        return sorted(git.text(["merge-base", "--independent", *unique]).split())
    except GitError:
        return unique  # keep everything: pruning is an optimisation, never a correctness matter
