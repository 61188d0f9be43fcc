"""Runs fragments from any source through the detector and gathers one report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leakguard.detect.engine import Detector
from leakguard.findings import Finding, SkippedFile
from leakguard.ignore import IgnoreList
from leakguard.sources.base import CommitInfo, Fragment

logger = logging.getLogger(__name__)


@dataclass
class ScanReport:
    """Everything one scan found, skipped and read."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    bytes: int = 0
    ignored: int = 0

    @property
    def enforced(self) -> list[Finding]:
        """Findings of rules in ``enforce`` mode (monitor rules only notify)."""
        return [f for f in self.findings if f.mode == "enforce"]


def run_scan(
    detector: Detector,
    items: Iterable[Fragment | SkippedFile | CommitInfo],
    *,
    ignore: IgnoreList | None = None,
    on_commit: Callable[[str], None] | None = None,
) -> ScanReport:
    """Scan every fragment of ``items``; record skipped files; drop findings ``ignore`` accepts."""
    report = ScanReport()
    for item in items:
        if isinstance(item, CommitInfo):
            report.commits.append(item.commit)
            if on_commit is not None:
                on_commit(item.commit)
            continue
        if isinstance(item, SkippedFile):
            logger.info("skipped %s: %s", item.path, item.reason)
            report.skipped.append(item)
            continue
        report.files += 1
        report.lines += len(item.lines)
        report.bytes += item.size or sum(len(text) + 1 for _, text in item.lines)
        for finding in detector.scan(item):
            if ignore is not None and ignore.ignores(finding):
                report.ignored += 1
            else:
                report.findings.append(finding)
    return report
