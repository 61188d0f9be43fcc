"""Validation of ref names, commit ids and revisions before they reach any git argv.

Ref names and revisions from events or the command line are checked here, so a crafted branch name can
neither be read as an option nor smuggle anything into a command. This module needs no git: event
parsing in every function uses it without loading GitPython (see :mod:`leakguard.git`, which re-exports
these checks).
"""

from __future__ import annotations

import re

from leakguard.errors import RefNameError

#: The refs CodeCommit reports in its events, and the only ones leakguard reads, scans and may reset.
REF_NAMESPACES = ("refs/heads/", "refs/tags/")

_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def validate_ref_name(name: str) -> str:
    """Return ``name`` if git's ``check-ref-format`` rules accept it as a ref name; raise otherwise.

    Refuses, on top of git's rules, names starting with ``-`` (they would be read as options).
    """
    problem = None
    if not name or len(name) > 1024:
        problem = "is empty or too long"
    elif name.startswith("-"):
        problem = "starts with '-'"
    elif _REF_FORBIDDEN.search(name):
        problem = "contains a character or sequence git forbids in ref names"
    elif name.startswith("/") or name.endswith(("/", ".", ".lock")) or name == "@":
        problem = "has a forbidden start or end"
    elif any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        problem = "has a path component starting with '.' or ending with '.lock'"
    if problem:
        raise RefNameError(f"invalid ref name {name!r}: {problem}")
    return name


def validate_commit_id(commit: str) -> str:
    """Return ``commit`` if it is a full hexadecimal object id (SHA-1 or SHA-256); raise otherwise."""
    if not _SHA.match(commit or ""):
        raise RefNameError(f"invalid commit id {commit!r}: expected a full hexadecimal object id")
    return commit


def validate_revision(revision: str) -> str:
    """Accept a revision or range from a person (``HEAD~3..main``), never something option-like."""
    if not revision or revision.startswith("-") or any(ch in revision for ch in "\x00\n\r"):
        raise RefNameError(f"invalid revision {revision!r}")
    return revision
