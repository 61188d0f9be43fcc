"""Runs fragments from any source through the detector and gathers one report.

The CLI and the inspector both scan through :func:`run_scan`, so what a developer's ignore file and
``leakguard:allow`` comments accept is decided the same way in both. Accepted findings are kept in
:attr:`ScanReport.accepted`, never dropped: they are bypasses that the bot reports to admins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain

from leakguard.detect.engine import Detector
from leakguard.findings import AcceptedFinding, Finding, SkippedFile
from leakguard.ignore import IGNORE_FILE_NAME, IgnoreList
from leakguard.pool import OrderedPool, can_fork
from leakguard.sources.base import SOURCE_FILE, SOURCE_PATH, CommitInfo, Fragment
from leakguard.sources.files import FileToRead

logger = logging.getLogger(__name__)


@dataclass
class ScanReport:
    """Everything one scan found, accepted, skipped and read."""

    findings: list[Finding] = field(default_factory=list)
    accepted: list[AcceptedFinding] = field(default_factory=list)
    #: Acceptances the repository's policy refused to honour: their findings are in ``findings``.
    overruled: list[AcceptedFinding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    bytes: int = 0
    #: Things a person should know about the scan's configuration (ignore-file problems, old entries).
    notices: list[str] = field(default_factory=list)

    @property
    def enforced(self) -> list[Finding]:
        """Findings of rules in ``enforce`` mode (monitor rules only notify)."""
        return [f for f in self.findings if f.mode == "enforce"]

    @property
    def ignored(self) -> int:
        """How many findings were accepted in the repository (inline or by the ignore file)."""
        return len(self.accepted)


@dataclass(frozen=True)
class Scanned:
    """A fragment after detection: what :func:`run_scan` needs of it, small enough to cross a pipe.

    ``fragment`` keeps its lines only when they matter later (the ignore file itself); its context
    reader is dropped.
    """

    fragment: Fragment
    lines: int
    bytes: int
    findings: list[Finding]
    inline: list[AcceptedFinding]


Item = Fragment | SkippedFile | CommitInfo | FileToRead
#: Fragments are sent to workers in batches of about this many bytes of text (or this many items).
BATCH_BYTES = 1 << 20
BATCH_ITEMS = 256


def scan_fragment(detector: Detector, fragment: Fragment) -> Scanned:
    """Run the detector over one fragment."""
    findings, inline = detector.scan_with_acceptances(fragment)
    size = fragment.size or sum(len(text) + 1 for _, text in fragment.lines)
    keep = fragment.path == IGNORE_FILE_NAME and fragment.commit and fragment.source == SOURCE_FILE
    shown = replace(fragment, lines=list(fragment.lines) if keep else (), context=None)
    return Scanned(shown, len(fragment.lines), size, findings, inline)


def scanned_items(
    detector: Detector, items: Iterable[Item], *, jobs: int = 1
) -> Iterator[Scanned | SkippedFile | CommitInfo]:
    """``items`` with every fragment replaced by its :class:`Scanned` result, in the same order.

    With ``jobs`` > 1 the detector runs in that many forked worker processes (see
    :class:`leakguard.pool.OrderedPool`) over batches of fragments; the order, and so every report, is
    the same as with one job.
    """

    def work(batch: list[Item]) -> list[Scanned | SkippedFile | CommitInfo]:
        return [scan_fragment(detector, i) if isinstance(i, Fragment) else i for i in _expanded(batch)]

    if jobs <= 1 or not can_fork():
        for item in _expanded(items):
            yield scan_fragment(detector, item) if isinstance(item, Fragment) else item
        return
    batches = _batches(items)
    first = next(batches, [])
    second = next(batches, None)
    if second is None:  # one batch (a pre-commit hook, a small push): forking would cost more
        yield from work(first)
        return
    with OrderedPool(work, jobs) as pool:
        for results in pool.map(chain((first, second), batches)):
            yield from results


def _expanded(items: Iterable[Item]) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """``items`` with each :class:`FileToRead` replaced by what reading it gives, in place."""
    for item in items:
        if isinstance(item, FileToRead):
            yield from item.read()
        else:
            yield item


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        if isinstance(item, FileToRead):
            size += item.size
        elif isinstance(item, Fragment):
            size += item.size or len(item.lines)
        if size >= BATCH_BYTES or len(batch) >= BATCH_ITEMS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def run_scan(
    detector: Detector,
    items: Iterable[Item],
    *,
    ignore: IgnoreList | None = None,
    on_commit: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> ScanReport:
    """Scan every fragment of ``items``; record skipped files; set aside what the repository accepts.

    Paths are shown to people (reports, emails, logs), so a path holding a credential is masked in
    every finding and skipped file that names it: see :class:`PathMasker`. Each finding says which
    ``source`` (file content, a path, a commit or tag message) it was found in. ``jobs`` > 1 runs the
    detector on that many cores; the report is the same.
    """
    report = ScanReport()
    masker = PathMasker(detector)
    added_entries: dict[str, tuple[str | None, str | None]] = {}
    for result in scanned_items(detector, items, jobs=jobs):
        if isinstance(result, CommitInfo):
            report.commits.append(result.commit)
            if on_commit is not None:
                on_commit(result.commit)
            continue
        if isinstance(result, SkippedFile):
            skipped = replace(result, path=masker.mask(result.path))
            logger.info("skipped %s: %s", skipped.path, skipped.reason)
            report.skipped.append(skipped)
            continue
        item = result.fragment
        if item.source == SOURCE_FILE:
            report.files += 1
        report.lines += result.lines
        report.bytes += result.bytes
        if item.path == IGNORE_FILE_NAME and item.commit and item.source == SOURCE_FILE:
            _note_added_entries(item, added_entries)
        report.accepted.extend(
            replace(
                a,
                finding=_shown(a.finding, item, masker),
                accepted_in=a.finding.commit,
                accepted_by=a.finding.author,
            )
            for a in result.inline
        )
        for found in result.findings:
            match = ignore.match(found) if ignore is not None else None
            finding = _shown(found, item, masker)
            if match is None:
                report.findings.append(finding)
                continue
            commit, author = added_entries.get(match.entry.value, (None, None))
            report.accepted.append(
                AcceptedFinding(
                    finding,
                    via="ignore-file",
                    reason=match.entry.reason,
                    entry=match.entry.value,
                    accepted_in=commit,
                    accepted_by=author,
                )
            )
    if ignore is not None:
        _fill_late_entries(report, added_entries)
    return report


def _note_added_entries(fragment: Fragment, added: dict[str, tuple[str | None, str | None]]) -> None:
    """Remember which commit (and author) added each ignore-file entry, for the audit notice."""
    text = "\n".join(line for _, line in fragment.lines)
    for entry in IgnoreList.parse(text).entries:
        added.setdefault(entry.value, (fragment.commit, fragment.author))


def _fill_late_entries(report: ScanReport, added: dict[str, tuple[str | None, str | None]]) -> None:
    """An entry may be added by a commit scanned after the finding it accepts: fill those in."""
    for index, accepted in enumerate(report.accepted):
        if accepted.via == "ignore-file" and accepted.accepted_in is None and accepted.entry in added:
            commit, author = added[accepted.entry]
            report.accepted[index] = replace(accepted, accepted_in=commit, accepted_by=author)


def _shown(finding: Finding, fragment: Fragment, masker: PathMasker) -> Finding:
    """The finding as people may see it: where it was found, its path masked."""
    return replace(finding, source=fragment.source, path=masker.mask(finding.path))


class PathMasker:
    """Masks a credential inside a file path wherever the path is displayed.

    Each distinct path is run through the same detector once (as a ``path`` fragment); from the first
    credential on, the path is replaced by the finding's redacted form, so no report, email or log line
    repeats it. Cutting off the rest of the path is deliberate: a secret's end is not recorded anywhere.
    """

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self._masked: dict[str, str] = {}

    def mask(self, path: str) -> str:
        """``path`` as it may be shown."""
        if not path:
            return path
        if path not in self._masked:
            findings = self.detector.scan(Fragment(path=path, lines=[(0, path)], source=SOURCE_PATH))
            if findings:
                first = min(findings, key=lambda f: f.column)
                self._masked[path] = path[: first.column - 1] + first.redacted
            else:
                self._masked[path] = path
        return self._masked[path]


#: What ends a masked word in a message: git quotes names with these, or leaves them between spaces.
_WORD_END = re.compile(r"""[\s'"`]""")
#: Scans of one message line at most: each masks every credential the engine reports once on it.
_MAX_MASK_PASSES = 8
_MASKED_LINE = "[a line holding credentials, not shown]"


def mask_credentials(detector: Detector, text: str) -> str:
    """``text`` (an error message, git's stderr) with every credential ``detector`` finds in it masked.

    git's messages quote what it was working on, and a ref or a path may hold a credential
    (``cannot lock ref 'refs/heads/AKIA...'``): a safety net for the texts that reach a log line, an
    email or an exception before the names in them are known. As :class:`PathMasker` does for a path,
    the word holding a credential is cut from the credential's start to the word's end (a quote or a
    space), so no part of the secret survives, whatever its end.
    """
    if not text:
        return text
    return "\n".join(_mask_line(detector, line) for line in text.split("\n"))


def _mask_line(detector: Detector, line: str) -> str:
    """One line of :func:`mask_credentials`: scanned again after masking, because the engine reports
    a secret once per line and git repeats names (``! [rejected] AKIA... -> AKIA...``)."""
    for _ in range(_MAX_MASK_PASSES):
        findings = detector.scan(Fragment(path="<message>", lines=[(1, line)], source=SOURCE_PATH))
        if not findings:
            return line
        end = len(line)
        for finding in sorted(findings, key=lambda f: f.column, reverse=True):
            start = finding.column - 1
            if start >= end:
                continue  # inside a word masked already
            word_end = _WORD_END.search(line, start)
            stop = word_end.start() if word_end else len(line)
            if finding.end_line == finding.line and finding.end_column:  # a secret with a space in it
                stop = max(stop, finding.end_column - 1)
            stop = min(end, stop)
            line = line[:start] + finding.redacted + line[stop:]
            end = start
    return _MASKED_LINE  # still finding more after so many passes: nothing of it is shown
