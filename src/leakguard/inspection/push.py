"""Scanning one push: the event's new commits, then every unscanned commit of each ref carrying the leak.

The refs of one push arrive as separate events, in any order, possibly at the same time. Scanning only
the event's own ref would raise one incident per event that happens to reach a leak, each naming a
different part of it. So once a scan finds a leak, every branch and tag that carries a leaking commit
is looked at too: their commits the record has not seen are scanned, their annotated tags' messages
read, until no new leak appears. Every event of the push that reaches the leak then computes the same
set of leaking objects, hence the same incident id, and the consumers act on it once.

A ref's own name can be the leak (a branch named after a key). The pushed ref's name is scanned on
every push of it, and so is the name of every ref found carrying a leak: each event that reaches the
leak names the same refs, so it still computes the same incident. Ref names are shown masked
(:class:`~leakguard.scan.PathMasker`) wherever the scan records or reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from leakguard.aws.scan_record import RecordedTip
from leakguard.detect.engine import Detector
from leakguard.findings import SkippedFile
from leakguard.git import Git
from leakguard.ignore import IgnoreList
from leakguard.inspection import refs as git_refs
from leakguard.inspection.deadline import Deadline, OutOfTime
from leakguard.inspection.refs import RefTip
from leakguard.scan import PathMasker, ScanReport, run_scan
from leakguard.sources.base import SOURCE_REF_NAME, SOURCE_TAG_MESSAGE, CommitInfo, Fragment
from leakguard.sources.history import commit_fragments
from leakguard.sources.metadata import ref_name_fragment, tag_message_fragments

Item = Fragment | SkippedFile | CommitInfo


@dataclass
class PushScan:
    """What the scan of a push found and read, and what the record may learn from it."""

    report: ScanReport = field(default_factory=ScanReport)
    authors: list[tuple[str, str | None]] = field(default_factory=list)
    tips: list[RecordedTip] = field(default_factory=list)
    references: list[RefTip] = field(default_factory=list)
    extended_to: list[str] = field(default_factory=list)
    #: Removed leaks the push brought back, scanned again: commit -> the incident whose reset removed it.
    brought_back: dict[str, str] = field(default_factory=dict)

    @property
    def leaking_commits(self) -> list[str]:
        """Commits with a finding in their content, paths or message (not in the name of a ref)."""
        return _objects(
            f for f in self.report.findings if f.source not in (SOURCE_TAG_MESSAGE, SOURCE_REF_NAME)
        )

    @property
    def leaking_ref_names(self) -> list[str]:
        """``ref-name:<fingerprint>`` of each ref whose name holds a finding: incident material.

        The fingerprint is keyed and names the ref, so the material says which ref without holding
        its name; every event of a push that reaches the ref computes the same.
        """
        found = (f for f in self.report.findings if f.source == SOURCE_REF_NAME)
        return list(dict.fromkeys(f"{SOURCE_REF_NAME}:{f.fingerprint}" for f in found))

    @property
    def leaking_tags(self) -> list[str]:
        """Annotated tag objects with a finding in their message."""
        return _objects(f for f in self.report.findings if f.source == SOURCE_TAG_MESSAGE)

    def absorb(self, report: ScanReport) -> None:
        """Add another scan's results (the extension to other refs) to this one."""
        mine = self.report
        mine.findings.extend(report.findings)
        mine.accepted.extend(report.accepted)
        mine.overruled.extend(report.overruled)
        mine.notices.extend(n for n in report.notices if n not in mine.notices)
        mine.skipped.extend(report.skipped)
        known = set(mine.commits)
        mine.commits.extend(c for c in report.commits if c not in known)
        mine.files += report.files
        mine.lines += report.lines
        mine.bytes += report.bytes


class PushScanner:
    """Runs the detector over a push, extending the scan to every ref that carries what it finds."""

    def __init__(
        self, detector: Detector, *, max_file_bytes: int, jobs: int = 1, deadline: Deadline | None = None
    ) -> None:
        self.detector = detector
        self.max_file_bytes = max_file_bytes
        self.jobs = jobs
        self.deadline = deadline

    def scan(
        self,
        git: Git,
        *,
        heads: Sequence[str],
        exclude: Sequence[str],
        tags: Iterable[str] = (),
        scanned_tags: Callable[[Iterable[str]], set[str]] = lambda objects: set(),
        prelude: Iterable[Item] = (),
        ref: str | None = None,
        ignore: IgnoreList | None = None,
        brought_back: Mapping[str, str] | None = None,
        pushed: RefTip | None = None,
        pusher: str | None = None,
    ) -> PushScan:
        """Scan ``heads`` (minus what ``exclude`` reaches) and the messages of tag objects ``tags``; extend.

        ``brought_back``: removed leaks the push puts back (commit -> the incident that removed them),
        each scanned again on its own, although ``exclude`` reaches it: its findings are the push's. A
        leaking tag object among ``tags`` is read again, although ``scanned_tags`` says it was read.
        ``prelude``: items read elsewhere (vanished commits read over the API) scanned first.
        ``scanned_tags``: which of some tag objects an earlier inspection already read (the record).
        ``ignore``: what the repository accepts (its ignore file), for every part of the scan.
        ``pushed``: the ref the push moved, as it was pushed: its name is scanned (and named as
        ``pusher``'s, who chose it). ``ref`` is recorded with the scanned tips, masked.
        """
        push = PushScan()
        shown = PathMasker(self.detector).mask
        wanted = list(dict.fromkeys(tags))
        back = dict(brought_back or {})
        tags_back = {tag for tag in back if tag in wanted}
        done_tags = scanned_tags(wanted) - tags_back if wanted else set()
        tag_objects = [t for t in wanted if t not in done_tags]
        push.report = self._run(git, push, [*prelude], heads, exclude, tag_objects, ignore)
        push.brought_back.update({tag: back[tag] for tag in tags_back if tag in push.leaking_tags})
        for commit in sorted(set(back) - tags_back):
            again = self._run(git, push, [], [commit], _parents(git, commit), [], ignore)
            if again.findings:
                push.brought_back[commit] = back[commit]
            push.absorb(again)
        push.tips += [RecordedTip(h, source="scan", ref=shown(ref) if ref else ref) for h in heads]
        push.tips += [RecordedTip(t, source="tag") for t in tag_objects]
        done_tags.update(tag_objects)
        scanned_heads = set(heads)
        while push.report.findings:
            carrying = self.carrying(git, push)
            more_heads = sorted({r.commit_id for r in carrying} - scanned_heads)
            more_tags = sorted({r.object_id for r in carrying if r.annotated} - done_tags)
            if more_tags:
                done_tags |= scanned_tags(more_tags)
                more_tags = [t for t in more_tags if t not in done_tags]
            if not more_heads and not more_tags:
                break
            before = set(push.leaking_commits) | set(push.leaking_tags)
            extension = self._run(
                git, push, [], more_heads, [*exclude, *sorted(scanned_heads)], more_tags, ignore
            )
            push.absorb(extension)
            push.extended_to += [r.full_name for r in carrying if r.commit_id in more_heads]
            push.tips += [RecordedTip(h, source="scan") for h in more_heads]
            push.tips += [RecordedTip(t, source="tag") for t in more_tags]
            scanned_heads.update(more_heads)
            done_tags.update(more_tags)
            if set(push.leaking_commits) | set(push.leaking_tags) == before:
                break
        push.references = self.carrying(git, push) if push.report.findings else []
        self._scan_ref_names(git, push, pushed, pusher, ignore, shown)
        return push

    def _scan_ref_names(
        self,
        git: Git,
        push: PushScan,
        pushed: RefTip | None,
        pusher: str | None,
        ignore: IgnoreList | None,
        shown: Callable[[str], str],
    ) -> None:
        """Scan the names of the pushed ref and of every ref carrying the leak; a pushed ref whose
        name leaks (and that still exists) joins ``references``: it carries the leak itself.
        ``shown`` masks a name as the findings' paths are masked."""
        names = {r.full_name: r.commit_id for r in push.references}
        if pushed is not None:
            names.setdefault(pushed.full_name, pushed.commit_id)
        if not names:
            return
        fragments = [
            ref_name_fragment(name, commit, author=pusher if pushed and name == pushed.full_name else None)
            for name, commit in sorted(names.items())
        ]
        report = run_scan(self.detector, fragments, ignore=ignore)
        push.absorb(report)
        held = {r.full_name for r in push.references}
        if pushed is None or pushed.full_name in held or not report.findings:
            return
        current = git_refs.resolve(git, pushed.full_name)
        masked = shown(pushed.full_name)
        leaks = any(f.source == SOURCE_REF_NAME and f.path == masked for f in report.findings)
        if current is not None and leaks:
            push.references = sorted([*push.references, current], key=lambda r: r.full_name)

    @staticmethod
    def carrying(git: Git, push: PushScan) -> list[RefTip]:
        """Every branch and tag pointing at or past a leaking commit, or holding a leaking tag object."""
        held = git_refs.present(git, push.leaking_commits)
        commits = [c for c in push.leaking_commits if held.get(c) == "commit"]
        found = {r.full_name: r for r in git_refs.list_refs(git, contains=commits)} if commits else {}
        if push.leaking_tags:
            leaking_tags = set(push.leaking_tags)
            found.update({r.full_name: r for r in git_refs.list_refs(git) if r.object_id in leaking_tags})
        return sorted(found.values(), key=lambda r: r.full_name)

    def _run(
        self,
        git: Git,
        push: PushScan,
        prelude: list[Item],
        heads: Sequence[str],
        exclude: Sequence[str],
        tag_objects: Sequence[str],
        ignore: IgnoreList | None,
    ) -> ScanReport:
        items = self._items(git, prelude, heads, exclude, tag_objects)
        return run_scan(self.detector, self._recording(push, items), ignore=ignore, jobs=self.jobs)

    def _items(
        self,
        git: Git,
        prelude: list[Item],
        heads: Sequence[str],
        exclude: Sequence[str],
        tag_objects: Sequence[str],
    ) -> Iterator[Item]:
        yield from prelude
        if heads:
            yield from commit_fragments(git, list(heads), exclude=exclude, max_file_bytes=self.max_file_bytes)
        if tag_objects:
            yield from tag_message_fragments(git, tag_objects, max_bytes=self.max_file_bytes)

    def _recording(self, push: PushScan, items: Iterable[Item]) -> Iterator[Item]:
        """Pass items through, noting each commit and its author for the event.

        Before each commit, the deadline: past it, :class:`OutOfTime` stops the scan (the commits
        before were scanned whole; git is stopped as its output is closed).
        """
        for item in items:
            if isinstance(item, CommitInfo):
                if self.deadline is not None and self.deadline.expired():
                    raise OutOfTime(len(push.authors))
                push.authors.append((item.commit, item.author))
            yield item


def _parents(git: Git, commit: str) -> list[str]:
    """The parents of ``commit``: excluding them scans the commit alone."""
    return git.text(["rev-list", "--parents", "-n", "1", commit, "--"]).split()[1:]


def _objects(findings: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for finding in findings:
        commit = getattr(finding, "commit", None)
        if commit:
            seen.setdefault(commit, None)
    return list(seen)
