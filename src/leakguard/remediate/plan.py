"""What a reset does to the repository: every branch and tag that carries a verified leaking commit.

The plan is computed from the repository alone (a fresh fetch of every branch and tag), never from
the event: the event only names the leaking commits, and :mod:`leakguard.remediate.verify` has already
re-scanned them. Each branch that carries a leak goes back to the newest commit of its own
first-parent line whose history holds none; a tag that carries one, or a branch with no clean commit
left, is deleted. Everything else survives, and what survives is what the quarantine bundle may
assume the repository still holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from leakguard.git import Git, validate_commit_id, validate_ref_name
from leakguard.refnames import REF_NAMESPACES


class PlanError(Exception):
    """The plan broke one of its own invariants; nothing may be pushed (a defect, never expected)."""


@dataclass(frozen=True)
class RefTip:
    """A ref as the repository holds it: ``raw`` is what the lease compares (a tag object for annotated
    tags), ``commit`` the commit it leads to (None for a tag of a tree or blob)."""

    name: str
    raw: str
    commit: str | None


@dataclass(frozen=True)
class RefAction:
    """One ref to move back (``target`` set) or delete (``target`` None), leased on ``tip.raw``."""

    tip: RefTip
    target: str | None

    @property
    def ref(self) -> str:
        """The full ref name."""
        return self.tip.name

    @property
    def deletes(self) -> bool:
        """True when the ref is deleted rather than moved back."""
        return self.target is None


@dataclass(frozen=True)
class Plan:
    """Every ref a reset changes, and the commits the repository keeps afterwards (``survivors``)."""

    actions: tuple[RefAction, ...]
    survivors: tuple[str, ...]
    untouched: tuple[str, ...] = field(default=())

    @property
    def heads(self) -> list[str]:
        """The commits leaving a ref (each action's current tip)."""
        return list(dict.fromkeys(a.tip.commit for a in self.actions if a.tip.commit))


def repository_refs(git: Git) -> dict[str, RefTip]:
    """Every branch and tag of the clone, with the object it holds and the commit it leads to."""
    fmt = "%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)"
    tips: dict[str, RefTip] = {}
    for line in git.text(["for-each-ref", f"--format={fmt}", *REF_NAMESPACES]).splitlines():
        raw, kind, peeled, peeled_kind, name = line.split(" ", 4)
        if kind == "commit":
            commit: str | None = raw
        elif kind == "tag" and peeled_kind == "commit":
            commit = peeled
        elif kind == "tag":
            commit = _peel(git, name)
        else:
            commit = None
        tips[validate_ref_name(name)] = RefTip(name, validate_commit_id(raw), commit)
    return tips


def _peel(git: Git, ref: str) -> str | None:
    text = git.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False).decode().strip()
    return validate_commit_id(text) if text else None


def refs_carrying(git: Git, leaks: Iterable[str]) -> set[str]:
    """Names of the branches and tags whose history holds at least one of ``leaks``."""
    contains = [f"--contains={validate_commit_id(c)}" for c in leaks]
    if not contains:
        return set()
    return set(git.text(["for-each-ref", "--format=%(refname)", *contains, *REF_NAMESPACES]).split())


def plan_containment(
    git: Git,
    leaks: Collection[str],
    *,
    created: Collection[str] = (),
    leaking_tags: Collection[str] = (),
    tips: dict[str, RefTip] | None = None,
) -> Plan:
    """The reset of every ref that carries one of ``leaks`` (verified leaking commits).

    ``created`` names branches the push created (a hint from the event): such a branch is deleted
    rather than moved back when its last clean commit is also held by a ref that survives, since it
    then has no clean commit of its own and deleting it loses nothing. The hint can only choose
    between two safe outcomes: every commit that leaves a ref is quarantined either way.
    ``leaking_tags``: annotated tag objects whose own message leaks; every tag holding one is deleted.
    """
    tips = repository_refs(git) if tips is None else tips
    dirty = refs_carrying(git, leaks) & set(tips)
    dirty |= {n for n, t in tips.items() if n.startswith("refs/tags/") and t.raw in set(leaking_tags)}
    kept = sorted({t.raw for name, t in tips.items() if name not in dirty})
    branches = {n: tips[n].commit for n in dirty if n.startswith("refs/heads/") and tips[n].commit}
    clean = clean_targets(git, {n: c for n, c in branches.items() if c}, leaks)
    targets: dict[str, str | None] = {name: clean.get(name) for name in sorted(dirty)}
    survivors = set(kept) | {t for n, t in targets.items() if t and n not in created}
    for name in sorted(set(created) & set(targets)):
        target = targets[name]
        if target is not None and _held_by(git, target, sorted(survivors)):
            targets[name] = None
        elif target is not None:
            survivors.add(target)
    actions = tuple(RefAction(tips[n], targets[n]) for n in sorted(dirty))
    plan = Plan(
        actions=actions, survivors=tuple(sorted(survivors)), untouched=tuple(sorted(set(tips) - dirty))
    )
    check_plan(git, plan, leaks, leaking_tags=leaking_tags)
    return plan


def clean_targets(git: Git, heads: dict[str, str], leaks: Collection[str]) -> dict[str, str | None]:
    """For each branch head, the newest commit of its first-parent line whose history holds no leak.

    One ``rev-list --ancestry-path`` per leak finds every commit of any head that descends from it;
    each head's first-parent walk then stops at the first commit outside that set (None: even the
    root is contaminated). A merge's second parent is the branch merged in, never the branch's own
    line, so the walk stays on first parents.
    """
    if not heads:
        return {}
    tips = sorted(set(heads.values()))
    dirty = set(leaks)
    for leak in leaks:
        dirty |= set(
            git.text(["rev-list", "--ancestry-path", f"^{validate_commit_id(leak)}", *tips, "--"]).split()
        )
    targets: dict[str, str | None] = {}
    for name, head in heads.items():
        targets[name] = None
        with git.stream(["rev-list", "--first-parent", validate_commit_id(head), "--"]) as lines:
            for raw in lines:
                commit = raw.decode("ascii").strip()
                if commit not in dirty:
                    targets[name] = commit
                    break
    return targets


def _held_by(git: Git, commit: str, tips: list[str]) -> bool:
    """True when ``commit`` is reachable from any of ``tips``."""
    if not tips:
        return False
    return not git.text(["rev-list", "-n1", validate_commit_id(commit), "--not", *tips, "--"])


def check_plan(git: Git, plan: Plan, leaks: Collection[str], *, leaking_tags: Collection[str] = ()) -> None:
    """Refuse to push a plan that would break what reset promises.

    Each target is an ancestor of its ref's current head and holds no leaking commit; each removed
    range holds a leaking commit; no survivor carries one. Computed plans satisfy this by
    construction; the check keeps it that way.
    """
    leak_set = set(leaks)
    for action in plan.actions:
        head = action.tip.commit
        if action.deletes and action.tip.raw in set(leaking_tags):
            continue  # the tag object itself leaks: deleting the tag is what removes it
        if action.target is not None:
            if head is None or not git.is_ancestor(action.target, head):
                raise PlanError(f"{action.ref}: target {action.target[:12]} is not an ancestor of its head")
            removed = git.text(["rev-list", f"{action.target}..{head}", "--"]).split()
        elif head is not None:
            removed = git.text(["rev-list", head, "--not", *plan.survivors, "--"]).split()
        else:
            continue  # a tag of a tree or blob that carries nothing: deleting it removes no commit
        if not leak_set & set(removed):
            raise PlanError(f"{action.ref}: the commits it would remove hold no verified leaking commit")
    if refs_carrying_commits(git, leak_set, plan.survivors):
        raise PlanError("a commit the repository keeps still carries a verified leaking commit")


def refs_carrying_commits(git: Git, leaks: Collection[str], commits: Iterable[str]) -> bool:
    """True when any of ``commits`` has one of ``leaks`` in its history.

    ``rev-list LEAKS --not COMMITS`` lists a leak exactly when no commit of ``commits`` reaches it,
    and stays small: it walks only the leaks' own history down to the kept commits.
    """
    present, wanted = list(commits), [validate_commit_id(c) for c in leaks]
    if not present or not wanted:
        return False
    unreached = set(git.text(["rev-list", *wanted, "--not", *present, "--"]).split())
    return not set(wanted) <= unreached
