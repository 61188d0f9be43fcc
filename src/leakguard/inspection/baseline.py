"""``leakguard baseline``: record what a repository holds today, so its history is never rescanned.

Run once per existing repository when leakguard starts watching it (the deploy guide does it for
``--all``). It records every branch's and tag's current commit as a baseline tip of the scan record;
the inspector then scans only what pushes add on top. Without it, the inspector's first sight of a
repository has to guess which refs predate the push.

``--audit`` scans the whole history first, with the same engine and rules as the inspector (every
commit, its message, its paths, every annotated tag's message, every branch's and tag's name), and
reports what it finds as an audit: notify only. Old leaks are neither locked for nor reset: rewriting
years of history is a decision for people, and rotating the credentials is what makes them harmless.

A ref's name may itself be a credential (``refs/heads/AKIA...``): the names the record keeps, and git's
messages quoting one, are masked by the rules as the inspector masks them, audit or not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

from leakguard.aws.scan_record import RecordedTip, ScanRecordTable
from leakguard.detect.engine import Detector
from leakguard.inspection import refs as git_refs
from leakguard.inspection.clone import CloneCache
from leakguard.inspection.push import PushScanner
from leakguard.scan import PathMasker, ScanReport, mask_credentials, run_scan
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES
from leakguard.sources.metadata import ref_name_fragment

logger = logging.getLogger(__name__)


class AlreadyRecorded(Exception):
    """The repository has a scan record; baselining it again could hide pushes not yet inspected."""


@dataclass
class BaselineResult:
    """What one repository's baseline recorded (and, with an audit, found)."""

    repository: str
    refs: int
    tips: list[str]
    audit: ScanReport | None = None
    replaced: bool = False
    tags: list[str] = field(default_factory=list)


class Baseliner:
    """Records repositories' current tips in the scan record, optionally after a full-history audit."""

    def __init__(
        self,
        table: ScanRecordTable,
        clones: CloneCache,
        detector: Detector,
        *,
        audit: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        self.table = table
        self.clones = clones
        #: The rules mask ref names (and git's messages) even without an audit.
        self.detector = detector
        self.scanner = PushScanner(detector, max_file_bytes=max_file_bytes) if audit else None

    def baseline(self, repository: str, *, by: str | None = None, force: bool = False) -> BaselineResult:
        """Record ``repository``'s refs; with a detector, scan all of their history first.

        A repository the record already knows is refused unless ``force``: its refs may hold pushes
        whose events are still being inspected, and a baseline would mark them as seen unscanned.
        """
        record = self.table.load(repository)
        if record.recorded and not force:
            raise AlreadyRecorded(
                f"{repository} already has a scan record ({len(record.tips)} tips); --force replaces "
                "nothing, it adds today's refs as seen"
            )
        git = self.clones.sync(repository, mask=partial(mask_credentials, self.detector))
        refs = git_refs.list_refs(git)
        tips = git_refs.independent(git, [ref.commit_id for ref in refs])
        result = BaselineResult(repository=repository, refs=len(refs), tips=tips, replaced=record.recorded)
        source = "baseline"
        recorded: list[RecordedTip] = []
        if self.scanner is not None:
            tags = [ref.object_id for ref in refs if ref.annotated]
            push = self.scanner.scan(git, heads=tips, exclude=[], tags=tags)
            # The scanner reads the names of the refs carrying a leak; a name can leak on clean commits.
            read = {ref.full_name for ref in push.references}
            unread = [ref_name_fragment(r.full_name, r.commit_id) for r in refs if r.full_name not in read]
            if unread:
                push.absorb(run_scan(self.detector, unread))
            result.audit, result.tags, source = push.report, tags, "audit"
            recorded += [RecordedTip(tag, source="tag") for tag in dict.fromkeys(tags)]
        shown = PathMasker(self.detector).mask
        names = {ref.commit_id: shown(ref.full_name) for ref in refs}
        recorded += [RecordedTip(tip, source=source, ref=names.get(tip)) for tip in tips]
        self.table.put_tips(repository, recorded)
        if record.recorded:
            self.table.replace_baseline(repository, source=source, tips=len(tips), by=by)
        elif not self.table.mark_baseline(repository, source=source, tips=len(tips), by=by):
            logger.info("the inspector recorded %s meanwhile; the baseline tips were added", repository)
        return result
