"""The scan record, applied to a push: what to leave out of the scan, and what the scan adds.

A push's exclusion set is the record's scanned tips (see :mod:`leakguard.aws.scan_record`): every
commit they reach was scanned before, whichever ref carried it. Nothing is trusted because another
ref points at it: refs pushed together all exist before any of their events is inspected.

An update's ``old`` is not added on top. When the record already reaches it, adding it changes nothing;
when it does not, the push that brought ``old`` is still being inspected (or its event was lost), and
recording this push's tip would then claim that push's commits were scanned. Scanning them here too
keeps "each commit scanned at least once" true whatever order the events run in.

A repository without a record is met for the first time: see :meth:`ScanHistory.first_sight`.

Coverage is not cleanliness. A leak an incident named stays in the record (``leak#``) after its commit
became part of the scanned history, and once a reset has removed it, a push that brings it back onto a
ref is scanned for it again (:meth:`ScanHistory.brought_back`): the developer's clone still holds the
leak, and their next push, a plain fast-forward of the reset branch, would otherwise restore it unseen.
A leak removed otherwise (the developer's own force-push, an admin's history rewrite, a deleted branch,
with reset switched off) counts as removed too, from the first inspection that finds no ref carrying
it (:meth:`ScanHistory.removed_elsewhere`); a push inspected before the one that removed it cannot
tell, and stays quiet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from leakguard.aws.scan_record import RecordedTip, RepositoryRecord, ScanRecordTable
from leakguard.git import Git
from leakguard.inspection import commits as history
from leakguard.inspection import refs as git_refs

logger = logging.getLogger(__name__)

#: Recorded leaks an inspection checks for removal, at most (the oldest commits ids first, by sort).
MAX_REMOVAL_CHECKS = 64


@dataclass
class Exclusions:
    """What one inspection leaves out of its scan, and why."""

    repository: str
    tips: list[str]
    first_sight: bool = False
    baseline: list[str] = field(default_factory=list)
    #: Every recorded tip, also those the clone does not hold (a commit read over the API stops there).
    known: set[str] = field(default_factory=set)
    #: Recorded leaks (commits, tag objects) removed: commit -> the incident after which they were.
    removed_leaks: dict[str, str] = field(default_factory=dict)
    #: Recorded leaks (commits, tag objects) not known as removed: commit -> the incident naming it.
    open_leaks: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """Log-friendly form."""
        return {
            "recordedTips": len(self.tips),
            "firstSight": self.first_sight,
            "baselineTips": len(self.baseline),
        }


class ScanHistory:
    """Turns the record into git exclusions and the results of a scan back into the record."""

    def __init__(self, table: ScanRecordTable) -> None:
        self.table = table

    def exclusions(
        self,
        git: Git,
        *,
        repository: str,
        ref: str,
        new: str,
        old: str | None,
        young: Callable[[], bool] = lambda: False,
        shown: str | None = None,
    ) -> Exclusions:
        """The recorded tips the clone holds; at first sight, a baseline recorded first.

        ``young``: asked at first sight only, whether the repository was created just before this
        push (see :meth:`first_sight`). ``shown``: ``ref`` as it may be stored (masked when its name
        holds a credential), for the baseline's ``by``.
        """
        record = self.table.load(repository)
        first = False
        if not record.recorded:
            record, first = self.first_sight(
                git, repository=repository, ref=ref, new=new, old=old, young=young(), shown=shown
            )
        held = _held_commits(git, record)
        return Exclusions(
            repository,
            held,
            first_sight=first,
            baseline=held if first else [],
            known=set(record.tip_commits),
            removed_leaks={leak.commit: leak.removed_by for leak in record.leaks if leak.removed_by},
            open_leaks=_open_leaks(record),
        )

    def open_leaks(self, repository: str) -> dict[str, str]:
        """The recorded leaks of ``repository`` not known as removed: commit -> the incident naming it."""
        return _open_leaks(self.table.load(repository))

    @staticmethod
    def brought_back(
        git: Git, exclusions: Exclusions, *, ref: str, new: str, old: str | None, shown: str | None = None
    ) -> dict[str, str]:
        """Removed leaks this push puts back on ``ref``: commit (or tag object) -> the incident after
        which it was removed.

        A removed leak is back when ``new`` reaches it, the ref's ``old`` did not (an update of a ref
        that still carried it brings nothing back), and the ref carries it now. The last condition
        keeps quiet the late sibling event of the very push whose reset removed the leak: by the time
        it runs, the reset has moved its ref too. ``shown``: ``ref`` as the log may name it (masked).
        """
        if not exclusions.removed_leaks:
            return {}
        current = git_refs.resolve(git, ref)
        if current is None:
            return {}
        held = git_refs.present(git, exclusions.removed_leaks)
        back: dict[str, str] = {}
        for commit, removed_by in sorted(exclusions.removed_leaks.items()):
            if held.get(commit) == "tag" and current.object_id == commit != old:
                back[commit] = removed_by  # the leaking tag object, on a tag ref again
                continue
            if held.get(commit) != "commit":
                continue
            carried = history.is_ancestor(git, commit, current.commit_id)
            if not (carried and history.is_ancestor(git, commit, new)):
                continue
            if old is not None and history.is_ancestor(git, commit, old):
                continue
            back[commit] = removed_by
        if back:
            logger.warning(
                "a removed leak is pushed back",
                extra={"repository": exclusions.repository, "ref": shown or ref, "commits": sorted(back)},
            )
        return back

    def removed_elsewhere(self, git: Git, repository: str, open_leaks: Mapping[str, str]) -> dict[str, str]:
        """The recorded leaks of ``open_leaks`` that no branch or tag carries any more, now recorded as
        removed (by the incident that named them): commit -> that incident.

        A reset records what it removes; a leak removed by a person is seen here, at the repository's
        next inspection, so that a push bringing it back is scanned for it again (``brought_back``)
        instead of passing as already scanned. One git call for the leaks, and one per leak only when
        some ref still carries one of them; at most ``MAX_REMOVAL_CHECKS`` leaks per inspection.
        """
        if not open_leaks:
            return {}
        leaks = sorted(open_leaks)[:MAX_REMOVAL_CHECKS]
        held = git_refs.present(git, leaks)
        in_clone = [commit for commit in leaks if held.get(commit) == "commit"]
        carried: set[str] = set()
        if in_clone and git_refs.list_refs(git, contains=in_clone):
            carried = {commit for commit in in_clone if git_refs.list_refs(git, contains=[commit])}
        if any(held.get(leak) == "tag" for leak in leaks):  # a leaking tag object: a tag ref holds it
            carried |= {ref.object_id for ref in git_refs.list_refs(git)} & set(leaks)
        removed = {commit: open_leaks[commit] for commit in leaks if commit not in carried}
        by_incident: dict[str, list[str]] = defaultdict(list)
        for commit, incident in removed.items():
            by_incident[incident].append(commit)
        for incident, commits in sorted(by_incident.items()):
            self.table.mark_removed(repository, commits, incident=incident)
        if removed:
            logger.warning(
                "leaks no ref carries any more are recorded as removed",
                extra={"repository": repository, "commits": sorted(removed)},
            )
        return removed

    def record_leaks(self, repository: str, commits: Sequence[str], *, incident: str) -> None:
        """Remember the leaking commits of an emitted incident (see :meth:`brought_back`)."""
        if commits:
            self.table.put_leaks(repository, commits, incident=incident)

    def first_sight(
        self,
        git: Git,
        *,
        repository: str,
        ref: str,
        new: str,
        old: str | None,
        young: bool,
        shown: str | None = None,
    ) -> tuple[RepositoryRecord, bool]:
        """Record the history that predates this push as a baseline, without scanning it.

        History older than the push is neither rescanned on every push nor locked or reset for. What
        predates the push:

        - a *young* repository (created moments before this push: a new repository's first pushes,
          a migration): nothing. Every ref in it came with these pushes, so all of it is scanned.
        - an update's ``old``, and every other branch and tag, except refs that carry this push's own
          commits: those at or past ``new`` (a tag on it, a branch ahead) and those inside
          ``old..new``. Their own events scan them against the record.
        - for a created ref, every other branch and tag: without an ``old`` nothing bounds the scan,
          and refs behind it are far more often old history than companions of the push.

        Returns the record and whether this inspection made the baseline. Only one event wins the
        baseline marker; one that loses re-reads the winner's record. The admin's
        ``leakguard baseline`` at deploy time avoids first sight of existing repositories
        altogether: a created ref cannot tell pre-existing refs from refs pushed with it.
        """
        pre_existing: list[str] = []
        if not young:
            companions: set[str] = {ref}
            held = git_refs.present(git, [c for c in (old, new) if c])
            old_held = old is not None and old in held
            if old_held and old is not None:
                pre_existing.append(old)
                if new in held:  # a pushed commit that vanished carries no companion
                    companions |= {tip.full_name for tip in git_refs.list_refs(git, contains=[new])}
                    behind_old = {tip.full_name for tip in git_refs.list_refs(git, merged=old)}
                    companions |= {t.full_name for t in git_refs.list_refs(git, merged=new)} - behind_old
            pre_existing += [
                tip.commit_id for tip in git_refs.list_refs(git) if tip.full_name not in companions
            ]
        baseline = git_refs.independent(git, pre_existing)
        self.table.put_tips(repository, [RecordedTip(commit, source="first-sight") for commit in baseline])
        source = "first-sight-young" if young else "first-sight"
        won = self.table.mark_baseline(repository, source=source, tips=len(baseline), by=shown or ref)
        if not won:
            logger.info("another inspection recorded the baseline first", extra={"repository": repository})
            return self.table.load(repository), False
        logger.warning(
            "repository seen for the first time: "
            + (
                "created just before this push, all of it is scanned"
                if young
                else "history older than this push recorded as a baseline, not scanned "
                "(leakguard baseline --audit scans it)"
            ),
            extra={"repository": repository, "baselineTips": len(baseline)},
        )
        tips = tuple(RecordedTip(commit, source="first-sight") for commit in baseline)
        return RepositoryRecord(repository, tips=tips, baseline={"source": source}), True

    def record(self, git: Git, exclusions: Exclusions, scanned: Sequence[RecordedTip]) -> list[str]:
        """After a completed scan: record its tips, forget recorded tips they now reach; the kept tips.

        Tips are written before anything is deleted, so what the record reaches only ever grows, and
        a concurrent inspection reading in between sees either the old or the new coverage.
        """
        commits = [tip for tip in scanned if tip.source != "tag"]
        tags = [tip for tip in scanned if tip.source == "tag"]
        known = set(exclusions.tips)
        antichain = set(git_refs.independent(git, [*known, *(tip.commit for tip in commits)]))
        fresh = [tip for tip in _unique(commits) if tip.commit in antichain and tip.commit not in known]
        self.table.put_tips(exclusions.repository, [*fresh, *_unique(tags)])
        redundant = sorted(known - antichain)
        if redundant:
            self.table.delete_tips(exclusions.repository, redundant)
        return sorted(antichain)

    def scanned_tags(self, repository: str, tag_objects: Iterable[str]) -> set[str]:
        """Annotated tags whose message an earlier inspection scanned."""
        return self.table.scanned_tags(repository, tag_objects)


def _open_leaks(record: RepositoryRecord) -> dict[str, str]:
    return {leak.commit: leak.incident for leak in record.leaks if not leak.removed_by}


def _held_commits(git: Git, record: RepositoryRecord) -> list[str]:
    """The recorded tips this clone has (a tip force-pushed away and garbage collected is of no use)."""
    held = git_refs.present(git, record.tip_commits)
    return sorted(commit for commit, kind in held.items() if kind == "commit")


def _unique(tips: Iterable[RecordedTip]) -> list[RecordedTip]:
    seen: dict[str, RecordedTip] = {}
    for tip in tips:
        seen.setdefault(tip.commit, tip)
    return list(seen.values())
