"""A bare clone per repository, cached under /tmp across warm invocations and fetched on reuse.

The cache is bounded: before and after each clone or fetch, the least recently used clones are removed
until all of them fit the byte budget (:mod:`~leakguard.inspection.disk`), so a warm sandbox that has
served many repositories never fills ``/tmp``. The clone being synced is never removed: one that alone
exceeds the budget is still used (the budget is a share of ``/tmp``, not all of it; refusing would leave
the push unscanned), and reported in :attr:`CloneCache.report` (the inspector logs it and adds the
``CloneOverBudget`` metric). It is the first to go when another repository needs the room.

With ``partial`` (the inspector's default), a cold clone is blobless (``--filter=blob:none``): every
commit and tree, no file content. The blobs a push's diffs need are fetched in one batch before the
scan (:meth:`CloneCache.prefetch`) and anything else git reads is fetched on demand from the promisor
remote. Whether CodeCommit serves filtered fetches is not documented: a server that ignores the
filter sends every object (git warns and the clone is simply full), and one that refuses to serve
blobs by id makes :meth:`CloneCache.prefetch` replace the clone with a full one. A partial clone keeps
its remote in its config (``remote.origin.url``: git needs it to fetch missing blobs), so it is only
made for a remote that carries no credentials (``codecommit::REGION://REPO`` never does).

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

#: The metric the inspector adds when a clone alone exceeds the budget (the stack alarms on it).
CLONE_OVER_BUDGET_METRIC = "CloneOverBudget"

#: The promisor remote's name in a partial clone, and the filter it was cloned with.
PROMISOR = "origin"
PARTIAL_FILTER = "blob:none"
#: Blob ids per fetch request of :meth:`CloneCache.prefetch` (on stdin, so only the request size).
PREFETCH_BATCH = 5000
FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SIGNATURE = re.compile(r"(?i)(x-amz-[a-z-]+|signature|token)=[^&\s]+")
#: Touched at every use of a clone: its modification time orders the clones for eviction.
LAST_USED = "leakguard-last-used"


def scrub(text: str) -> str:
    """Remove anything credential-like from git's stderr before it reaches a log line or an error."""
    return _SIGNATURE.sub(r"\1=***", _URL_CREDENTIALS.sub(r"\1***@", text))


def as_is(text: str) -> str:
    """The mask of a caller that has no rules to mask with: ``text`` unchanged."""
    return text


@dataclass
class CacheReport:
    """What the last :meth:`CloneCache.sync` did to the cache (for logs and metrics)."""

    evicted: list[str] = field(default_factory=list)
    #: Bytes the synced clone takes; over ``budget`` means it alone exceeds the budget.
    clone_bytes: int = 0
    budget: int = 0
    #: Blobs fetched ahead of the scan into a partial clone.
    prefetched: int = 0
    warned: bool = False

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
        partial: bool = False,
    ) -> None:
        self.root = root
        self.remote_for = remote_for
        self.git_timeout = git_timeout
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget(root)
        self.partial = partial
        self.report = CacheReport(budget=self.budget_bytes)
        self._mask: Callable[[str], str] = as_is
        #: Repositories whose server refused to serve blobs by id: cloned in full from then on.
        self._full_only: set[str] = set()

    def sync(self, repository: str, *, mask: Callable[[str], str] | None = None) -> Git:
        """Return a :class:`Git` on an up-to-date bare clone of ``repository``.

        A clone left broken by an interrupted invocation is removed and made again, never trusted.
        Least recently used clones of other repositories are evicted first to make room, and again
        after the fetch if the clone grew past what is left.

        ``mask`` (``leakguard.scan.mask_credentials`` with the caller's detector) hides credentials
        in git's messages before they reach a log line or an error, until the next sync: git quotes
        ref names (``cannot lock ref 'refs/heads/AKIA...'``), and a ref's name may be the leak.
        """
        path = self.root / f"{validate_repository_name(repository)}.git"
        self._mask = mask or as_is
        self.report = CacheReport(budget=self.budget_bytes)
        self._evict(keep=path)
        git = self._sync(path, repository)
        (path / LAST_USED).touch()
        self._evict(keep=path)
        self._warn_over_budget(repository)
        return git

    def _warn_over_budget(self, repository: str) -> None:
        if self.report.over_budget and not self.report.warned:
            self.report.warned = True
            logger.warning(
                "clone alone exceeds the clone cache budget: used anyway, evicted first next time",
                extra={"repository": repository, "cloneBytes": self.report.clone_bytes,
                       "budgetBytes": self.budget_bytes},
            )  # fmt: skip

    def _sync(self, path: Path, repository: str) -> Git:
        git = Git(path, timeout=self.git_timeout)
        fresh = not (path / "HEAD").is_file()
        if not fresh:
            try:
                self.fetch(git, repository)
            except GitError as exc:
                logger.warning("cached clone unusable, cloning again: %s", self._shown(exc.stderr))
                shutil.rmtree(path)
                fresh = True
            else:
                logger.info("clone reused", extra={"repository": repository})
                return git
        path.mkdir(parents=True, exist_ok=True)
        git.run(["init", "--quiet", "--bare"])
        if self.partial and repository not in self._full_only:
            self._make_partial(git, repository)
        try:
            self.fetch(git, repository, cold=True)
        except GitError as exc:
            raise GitError(exc.command, exc.returncode, self._mask(scrub(exc.stderr))) from None
        logger.info("clone created", extra={"repository": repository, "partial": is_partial(git)})
        return git

    def _make_partial(self, git: Git, repository: str) -> None:
        """Configure a fresh clone as a blobless partial clone of its remote, if the remote allows it."""
        remote = self.remote_for(repository)
        if scrub(remote) != remote:
            logger.warning("remote carries credentials: not stored in a partial clone's config, full clone")
            return
        for key, value in (
            (f"remote.{PROMISOR}.url", remote),
            (f"remote.{PROMISOR}.promisor", "true"),
            (f"remote.{PROMISOR}.partialclonefilter", PARTIAL_FILTER),
            ("extensions.partialClone", PROMISOR),
        ):
            git.run(["config", key, value])

    def prefetch(self, git: Git, repository: str, objects: list[str]) -> Git:
        """Fetch ``objects`` (blob ids a scan will read) into a partial clone in a few requests.

        Without it git fetches missing blobs one diff at a time. A server that refuses them (it may
        not serve unadvertised objects) gets the clone replaced by a full one, which is returned.
        """
        if not objects or not is_partial(git):
            return git
        try:
            for start in range(0, len(objects), PREFETCH_BATCH):
                batch = "".join(f"{oid}\n" for oid in objects[start : start + PREFETCH_BATCH])
                git.run(
                    ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no",
                     f"--filter={PARTIAL_FILTER}", "--stdin", PROMISOR],
                    input=batch.encode(),
                )  # fmt: skip
        except GitError as exc:
            logger.warning(
                "server refused blobs of a partial clone: cloning in full: %s", self._shown(exc.stderr)
            )
            self._full_only.add(repository)
            shutil.rmtree(git.repo)
            return self.sync(repository, mask=self._mask)
        self.report.prefetched += len(objects)
        self._evict(keep=git.repo)  # the clone grew again
        self._warn_over_budget(repository)
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
            git.run(["fetch", "--quiet", "--no-tags", *self._source(git, repository), commit])
        except GitError:
            return False
        return True

    def fetch(self, git: Git, repository: str, *, cold: bool = False) -> None:
        """Fetch every branch and tag, pruning refs the remote no longer has.

        Only a partial clone's first fetch is filtered: later ones bring the new commits' blobs in the
        same pack, as a full clone's do, so a warm push costs no more than with a full clone and
        :meth:`prefetch` finds little missing (git skips ids it has without asking the server).
        """
        source = self._source(git, repository, filtered=cold)
        git.run(["fetch", "--quiet", "--prune", "--no-tags", *source, *FETCH_REFSPECS])

    def _shown(self, stderr: str) -> str:
        """git's ``stderr`` as a log line may show it: credentials scrubbed and masked, shortened."""
        return self._mask(scrub(stderr))[:300]

    def _source(self, git: Git, repository: str, *, filtered: bool = True) -> list[str]:
        """Where a fetch reads from: the promisor remote in a partial clone, else the URL."""
        if is_partial(git):
            return [f"--filter={PARTIAL_FILTER}" if filtered else "--no-filter", "--", PROMISOR]
        return ["--", self.remote_for(repository)]


def is_partial(git: Git) -> bool:
    """Whether the clone at ``git`` is a partial clone (blobs fetched on demand from its promisor)."""
    config = git.repo / "config"
    try:
        text = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return re.search(r"(?im)^\s*partialclone\s*=\s*" + PROMISOR + r"\s*$", text) is not None


def _last_used(clone: Path) -> int:
    """When a clone was last synced (its marker's mtime; the directory's for a clone without one)."""
    marker = clone / LAST_USED
    try:
        return marker.stat().st_mtime_ns
    except FileNotFoundError:
        return clone.stat().st_mtime_ns
