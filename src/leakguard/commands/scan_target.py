"""What ``leakguard scan`` looks at: the repository, its root, and paths as the repository names them.

Run from a subdirectory, a developer still means the repository: its root's ``.leakguardignore``
applies, and ``--staged PATH`` is relative to where they stand, as in git itself. Paths in reports are
relative to the root, so fingerprints do not depend on the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leakguard.errors import ConfigError, GitError
from leakguard.git import Git


@dataclass(frozen=True)
class GitTarget:
    """A repository to scan history or the index of: ``root`` is None for a bare repository."""

    git: Git
    root: Path | None
    bare: bool


def git_target(repo: str, *, staged: bool) -> GitTarget:
    """The repository ``repo`` names (any directory inside it); one-line errors for the rest."""
    path = Path(repo)
    if not path.is_dir():
        raise ConfigError(f"no such directory: {repo}")
    git = Git(path)
    try:
        bare = git.text(["rev-parse", "--is-bare-repository"]) == "true"
    except GitError:
        raise ConfigError(f"not a git repository: {repo}") from None
    if bare:
        if staged:
            raise ConfigError(f"--staged needs a work tree, and {repo} is a bare repository")
        return GitTarget(git, None, True)
    try:
        root = Path(git.text(["rev-parse", "--show-toplevel"]))
    except GitError:
        # Inside .git of a non-bare repository: no work tree to stage from, history still readable.
        if staged:
            raise ConfigError(f"--staged needs a work tree: {repo} is inside a .git directory") from None
        return GitTarget(git, None, True)
    return GitTarget(Git(root), root, False)


def work_tree_root(path: Path) -> Path | None:
    """The root of the work tree ``path`` lies in, if any (a plain directory scan uses it)."""
    directory = path if path.is_dir() else path.parent
    if "GIT_DIR" not in os.environ and not any(
        (parent / ".git").exists() for parent in (directory.resolve(), *directory.resolve().parents)
    ):
        return None  # no repository around it: no need to start git (nor to import GitPython)
    try:
        text = Git(directory).text(["rev-parse", "--show-toplevel"])
    except GitError:
        return None
    return Path(text) if text else None


def scan_root(paths: Sequence[str]) -> Path:
    """Where paths of a file scan are shown relative to: the repository of the first path, if it is
    in one, else the first directory given (or the directory of the first file)."""
    first = Path(paths[0])
    root = work_tree_root(first)
    if root is not None:
        return root
    return Path(os.path.realpath(first if first.is_dir() else first.parent))


def repository_paths(paths: Sequence[str], root: Path | None) -> list[str]:
    """``paths`` (relative to the working directory, as people type them) relative to ``root``."""
    if root is None:
        return [p.strip("/") for p in paths]
    resolved = []
    for raw in paths:
        absolute = Path(os.path.realpath(raw))
        try:
            relative = absolute.relative_to(root).as_posix()
        except ValueError:
            raise ConfigError(f"{raw} is outside the repository {root}") from None
        resolved.append("" if relative == "." else relative)
    return resolved
