"""A bare clone per repository, cached under /tmp across warm invocations and fetched on reuse.

The cache is bounded: before and after each clone or fetch, the least recently used clones are removed
until all of them fit the byte budget (:mod:`~leakguard.inspection.disk`), so a warm sandbox that has
served many repositories never fills ``/tmp``. The clone being synced is never removed: one that alone
exceeds the budget is still used (the budget is a share of ``/tmp``, not all of it; refusing would leave
the push unscanned), and reported in :attr:`CloneCache.report` (the inspector logs it and adds the
``CloneOverBudget`` metric). It is the first to go when another repository needs the room.

The remote is passed on the command line at each fetch and never stored in the clone's config or
logged: with git-remote-codecommit the helper signs requests itself, but a template could still
name a URL with credentials in it.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leakguard.errors import GitError
from leakguard.events.codecommit import validate_repository_name
from leakguard.git import Git
from leakguard.inspection.disk import default_budget, disk_usage

logger = logging.getLogger(__name__)

FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SIGNATURE = re.compile(r"(?i)(x-amz-[a-z-]+|signature|token)=[^&\s]+")
#: Touched at every use of a clone: its modification time orders the clones for eviction.
LAST_USED = "leakguard-last-used"


def scrub(text: str) -> str:
    """Remove anything credential-like from git's stderr before it reaches a log line or an error."""
    return _SIGNATURE.sub(r"\1=***", _URL_CREDENTIALS.sub(r"\1***@", text))


@dataclass
class CacheReport:
    """What the last :meth:`CloneCache.sync` did to the cache (for logs and metrics)."""

    evicted: list[str] = field(default_factory=list)
    #: Bytes the synced clone takes; over ``budget`` means it alone exceeds the budget.
    clone_bytes: int = 0
    budget: int = 0

    @property
    def over_budget(self) -> bool:
        """The synced clone alone is larger than the cache may be."""
        return self.clone_bytes > self.budget


class CloneCache:
    """Keeps one bare clone per repository under ``root`` (``/tmp/leakguard`` in Lambda).

    ``budget_bytes``: the most the clones together may take on disk; default, half of the filesystem
    ``root`` is on (Lambda: the function's ephemeral storage).
    """

    def __init__(
        self,
        root: Path,
        remote_for: Callable[[str], str],
        *,
        git_timeout: float = 600.0,
        budget_bytes: int | None = None,
    ) -> None:
        self.root = root
        self.remote_for = remote_for
        self.git_timeout = git_timeout
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget(root)
        self.report = CacheReport(budget=self.budget_bytes)

    def sync(self, repository: str) -> Git:
        """Return a :class:`Git` on an up-to-date bare clone of ``repository``.

        A clone left broken by an interrupted invocation is removed and made again, never trusted.
        Least recently used clones of other repositories are evicted first to make room, and again
        after the fetch if the clone grew past what is left.
        """
        path = self.root / f"{validate_repository_name(repository)}.git"
        self.report = CacheReport(budget=self.budget_bytes)
        self._evict(keep=path)
        git = self._sync(path, repository)
        (path / LAST_USED).touch()
        self._evict(keep=path)
        if self.report.over_budget:
            logger.warning(
                "clone alone exceeds the clone cache budget: used anyway, evicted first next time",
                extra={"repository": repository, "cloneBytes": self.report.clone_bytes,
                       "budgetBytes": self.budget_bytes},
            )  # fmt: skip
        return git

    def _sync(self, path: Path, repository: str) -> Git:
        git = Git(path, timeout=self.git_timeout)
        fresh = not (path / "HEAD").is_file()
        if not fresh:
            try:
                self.fetch(git, repository)
            except GitError as exc:
                logger.warning("cached clone unusable, cloning again: %s", scrub(exc.stderr)[:300])
                shutil.rmtree(path)
                fresh = True
            else:
                logger.info("clone reused", extra={"repository": repository})
                return git
        path.mkdir(parents=True, exist_ok=True)
        git.run(["init", "--quiet", "--bare"])
        try:
            self.fetch(git, repository)
        except GitError as exc:
            raise GitError(exc.command, exc.returncode, scrub(exc.stderr)) from None
        logger.info("clone created", extra={"repository": repository})
        return git

    def _evict(self, *, keep: Path) -> None:
        """Remove least recently used clones other than ``keep`` until every clone fits the budget."""
        others = [p for p in self.root.glob("*.git") if p.is_dir() and p != keep]
        sizes = {p: disk_usage(p) for p in others}
        self.report.clone_bytes = disk_usage(keep)
        total = self.report.clone_bytes + sum(sizes.values())
        for victim in sorted(others, key=_last_used):
            if total <= self.budget_bytes:
                break
            shutil.rmtree(victim, ignore_errors=True)
            total -= sizes[victim]
            self.report.evicted.append(victim.name.removesuffix(".git"))
            logger.info(
                "clone evicted (least recently used)",
                extra={"repository": victim.name.removesuffix(".git"), "freedBytes": sizes[victim]},
            )

    def fetch_commit(self, git: Git, repository: str, commit: str) -> bool:
        """Try to fetch one commit no ref points at any more (the old head of a force push).

        Servers may refuse objects they do not advertise; the caller copes with False.
        """
        try:
            git.run(["fetch", "--quiet", "--no-tags", "--", self.remote_for(repository), commit])
        except GitError:
            return False
        return True

    def fetch(self, git: Git, repository: str) -> None:
        """Fetch every branch and tag, pruning refs the remote no longer has."""
        git.run(
            ["fetch", "--quiet", "--prune", "--no-tags", "--", self.remote_for(repository), *FETCH_REFSPECS]
        )


def _last_used(clone: Path) -> int:
    """When a clone was last synced (its marker's mtime; the directory's for a clone without one)."""
    marker = clone / LAST_USED
    try:
        return marker.stat().st_mtime_ns
    except FileNotFoundError:
        return clone.stat().st_mtime_ns
