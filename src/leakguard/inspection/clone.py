"""A bare clone per repository, cached under /tmp across warm invocations and fetched on reuse.

The remote is passed on the command line at each fetch and never stored in the clone's config or
logged: with git-remote-codecommit the helper signs requests itself, but a template could still
name a URL with credentials in it.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from leakguard.errors import GitError
from leakguard.events.codecommit import validate_repository_name
from leakguard.git import Git

logger = logging.getLogger(__name__)

FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SIGNATURE = re.compile(r"(?i)(x-amz-[a-z-]+|signature|token)=[^&\s]+")


def scrub(text: str) -> str:
    """Remove anything credential-like from git's stderr before it reaches a log line or an error."""
    return _SIGNATURE.sub(r"\1=***", _URL_CREDENTIALS.sub(r"\1***@", text))


class CloneCache:
    """Keeps one bare clone per repository under ``root`` (``/tmp/leakguard`` in Lambda)."""

    def __init__(self, root: Path, remote_for: Callable[[str], str], *, git_timeout: float = 600.0) -> None:
        self.root = root
        self.remote_for = remote_for
        self.git_timeout = git_timeout

    def sync(self, repository: str) -> Git:
        """Return a :class:`Git` on an up-to-date bare clone of ``repository``.

        A clone left broken by an interrupted invocation is removed and made again, never trusted.
        """
        path = self.root / f"{validate_repository_name(repository)}.git"
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
