"""All git goes through here: argv lists (never a shell), ``-C``, timeouts, stderr → GitError.

Commands run the git binary with :mod:`subprocess` (no shell, killed after a timeout), with leakguard's
own argv so every option is explicit and every value validated. (GitPython's ``Git.execute`` did the
same; importing GitPython cost every CLI start-up and cold start about 0.15 s, for a Popen call.)

Ref names and revisions from events or the command line are validated (:mod:`leakguard.refnames`)
before they reach any argv, so a crafted branch name can neither be read as an option nor smuggle
anything into a command.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from leakguard.errors import GitError, RefNameError
from leakguard.refnames import validate_commit_id, validate_ref_name, validate_revision

# The ref-name checks are re-exported: they are part of this module's contract, but live apart so that
# event parsing (which every function does) does not load this module.
__all__ = [
    "DEFAULT_TIMEOUT",
    "Git",
    "validate_commit_id",
    "validate_log_argument",
    "validate_ref_name",
    "validate_revision",
]

DEFAULT_TIMEOUT = 300.0


#: ``git log`` options a person may add to a history scan (``--since``, ``--author``...): they select
#: commits and nothing else. Anything that changes the output format, runs helpers or writes files
#: (``--format``, ``--output``, ``--ext-diff``...) is refused, so the patch parser cannot be fooled.
_LOG_FLAGS = frozenset(
    {"--all", "--not", "--branches", "--tags", "--remotes", "--first-parent", "--no-merges", "--merges"}
)
_LOG_VALUED = re.compile(
    r"^--(since|after|until|before|author|committer|max-count|skip|branches|tags|remotes|glob|exclude|"
    r"since-as-filter|min-parents|max-parents)=[^\x00\n\r]+$"
)


def validate_log_argument(argument: str) -> str:
    """A revision, or one of the commit-selecting ``git log`` options; raise for anything else."""
    if argument in _LOG_FLAGS or _LOG_VALUED.match(argument):
        return argument
    if argument.startswith("-"):
        raise RefNameError(f"git log option {argument!r} is not allowed (only options that select commits)")
    return validate_revision(argument)


class Git:
    """Runs git in one repository. Tests may pass another ``executable`` or environment."""

    def __init__(
        self,
        repo: str | Path,
        *,
        executable: str = "git",
        env: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.repo = Path(repo)
        self.executable = executable
        self.timeout = timeout
        base = dict(os.environ if env is None else env)
        # Never prompt for credentials or open an editor inside a scan or a Lambda.
        base.update({"GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "LC_ALL": "C"})
        self.env = base

    def argv(self, args: Sequence[str]) -> list[str]:
        """The full argv for ``git args`` in this repository."""
        return [self.executable, "-C", str(self.repo), "-c", "core.quotePath=true", *args]

    def run(self, args: Sequence[str], *, check: bool = True, input: bytes | None = None) -> bytes:
        """Run git and return stdout; raise :class:`GitError` on failure or timeout.

        ``input`` is fed to git's stdin (``--stdin`` options, ``cat-file --batch``): long lists of
        revisions go there instead of the command line, which has a length limit.
        """
        with _stdin(input) as stdin:
            try:
                done = subprocess.run(
                    self.argv(args),
                    stdin=subprocess.DEVNULL if stdin is None else stdin,
                    capture_output=True,
                    env=self.env,
                    timeout=self.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise GitError(args[0], None, f"timed out after {self.timeout:.0f}s") from exc
            except OSError as exc:
                raise GitError(args[0], None, f"cannot run {self.executable}: {exc}") from exc
        if check and done.returncode != 0:
            raise GitError(args[0], done.returncode, done.stderr.decode("utf-8", "replace").rstrip("\n"))
        return done.stdout

    def text(self, args: Sequence[str], *, input: bytes | None = None) -> str:
        """Run git and return stdout decoded and stripped."""
        return self.run(args, input=input).decode("utf-8", "replace").strip()

    @contextmanager
    def stream(self, args: Sequence[str], *, input: bytes | None = None) -> Iterator[Iterator[bytes]]:
        """Run git and yield its stdout line by line (bytes, with newlines), for large outputs."""
        with _stdin(input) as stdin:
            try:
                process = subprocess.Popen(
                    self.argv(args),
                    stdin=subprocess.DEVNULL if stdin is None else stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=self.env,
                )
            except OSError as exc:
                raise GitError(args[0], None, f"cannot run {self.executable}: {exc}") from exc
        if process.stdout is None or process.stderr is None:  # pragma: no cover
            raise GitError(args[0], None, "no output pipes")
        try:
            yield iter(process.stdout)
        finally:
            process.stdout.close()
            try:
                stderr = process.stderr.read()
                returncode = process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired as exc:
                process.kill()
                raise GitError(args[0], None, f"timed out after {self.timeout:.0f}s") from exc
            finally:
                process.stderr.close()
        if returncode not in (0, -13):  # -13: SIGPIPE when the reader stopped early
            raise GitError(args[0], returncode, stderr.decode("utf-8", "replace"))

    def toplevel(self) -> Path:
        """The work tree's top directory."""
        return Path(self.text(["rev-parse", "--show-toplevel"]))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when ``ancestor`` is reachable from ``descendant`` (so the update was not a force push)."""
        try:
            self.run(["merge-base", "--is-ancestor", ancestor, descendant])
        except GitError as exc:
            if exc.returncode == 1:
                return False
            raise
        return True


@contextmanager
def _stdin(data: bytes | None) -> Iterator[Any]:
    """A file holding ``data`` for git's stdin (a file, not a pipe: no deadlock on large inputs)."""
    if data is None:
        yield None
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        yield handle
