"""Which commits a push introduced, and the last clean commit of a ref. Git decides both."""

from __future__ import annotations

from collections.abc import Iterable

from leakguard.errors import GitError
from leakguard.git import Git, validate_commit_id


def has_commit(git: Git, commit: str) -> bool:
    """True when ``commit`` exists in the clone (a ref force-pushed away may have taken it)."""
    try:
        git.run(["cat-file", "-e", f"{validate_commit_id(commit)}^{{commit}}"])
    except GitError:
        return False
    return True


def other_ref_tips(git: Git, exclude_ref: str) -> list[str]:
    """Object ids of every ref but ``exclude_ref`` (commits reachable from them were scanned when pushed)."""
    tips: set[str] = set()
    for line in git.text(["for-each-ref", "--format=%(objectname) %(refname)"]).splitlines():
        sha, _, ref = line.partition(" ")
        if ref != exclude_ref:
            tips.add(validate_commit_id(sha))
    return sorted(tips)


def introduced_revisions(git: Git, *, full_ref: str, new: str, old: str | None) -> list[str]:
    """``git log`` arguments selecting the commits the push introduced.

    New commits are those reachable from ``new`` but neither from ``old`` nor from any other ref.
    For a fast-forward that is ``old..new``; for a force push it excludes what the branch shared with
    another branch; for a created ref it avoids rescanning the repository. When ``new`` is an ancestor
    of ``old`` (a rewind, such as leakguard's own reset push) the set is empty.

    A ref pushed together with this one (``git push --follow-tags``: a tag on the new commits) exists
    before either push is inspected. For a fast-forward, refs whose tips lie on the branch's own
    first-parent line between ``old`` and ``new`` are such companions, never history scanned
    elsewhere, so they must not hide the new commits; a merged branch's tip (a second parent) still
    does. Two *created* refs sharing new commits in one push can still hide them from each other:
    telling them from established refs needs a record of scanned tips.
    """
    negatives = other_ref_tips(git, full_ref)
    if old is not None and has_commit(git, old):
        old = validate_commit_id(old)
        if is_ancestor(git, old, new):
            own_line = set(
                git.text(["rev-list", "--first-parent", f"{old}..{validate_commit_id(new)}", "--"]).split()
            )
            negatives = [tip for tip in negatives if tip not in own_line]
        negatives.append(old)
    revisions = [validate_commit_id(new)]
    if negatives:
        revisions += ["--not", *sorted(set(negatives))]
    return revisions


def unreachable(git: Git, commit: str) -> list[str]:
    """Commits of ``commit``'s history that no branch or tag reaches (it was fetched by id)."""
    return git.text(["rev-list", validate_commit_id(commit), "--not", "--branches", "--tags", "--"]).split()


def list_commits(git: Git, revisions: Iterable[str]) -> list[str]:
    """The commits ``revisions`` select, oldest first."""
    return git.text(["rev-list", "--reverse", "--topo-order", *revisions, "--"]).split()


def is_ancestor(git: Git, ancestor: str, descendant: str) -> bool:
    """True when ``ancestor`` is reachable from ``descendant``."""
    return git.is_ancestor(validate_commit_id(ancestor), validate_commit_id(descendant))


def contaminated(git: Git, head: str, leaking: Iterable[str]) -> set[str]:
    """Every commit of ``head``'s history that has a leaking commit in its own history."""
    dirty: set[str] = set()
    for commit in leaking:
        if commit in dirty or not has_commit(git, commit) or not is_ancestor(git, commit, head):
            continue
        dirty.add(commit)
        dirty.update(
            git.text(["rev-list", "--ancestry-path", f"{commit}..{validate_commit_id(head)}", "--"]).split()
        )
    return dirty


def last_clean_commit(git: Git, head: str, leaking: Iterable[str]) -> str | None:
    """The newest commit on ``head``'s first-parent chain whose history holds no leaking commit.

    Walking first parents keeps the branch's own line of history (a merge's second parent is the
    branch merged in). None when even the root is contaminated.
    """
    dirty = contaminated(git, head, leaking)
    if not dirty:
        return head
    with git.stream(["rev-list", "--first-parent", validate_commit_id(head), "--"]) as lines:
        for raw in lines:
            commit = raw.decode("ascii").strip()
            if commit not in dirty:
                return commit
    return None
