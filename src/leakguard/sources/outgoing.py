"""What a ``git push`` is about to send, for a pre-push hook to scan before anything leaves the machine.

git tells a pre-push hook every ref it will update, one line each on standard input
(``<local ref> SP <local oid> SP <remote ref> SP <remote oid>``), all refs of the push at once:
``git push origin main feature`` gives two lines. What the remote will receive, and what the bot would
scan once it has:

* every commit reachable from a pushed tip that the remote does not have: not reachable from the ref
  it replaces, nor from any of the remote's branches this clone knows (``--remotes=<remote>``). A
  commit that added a key and a later one that removed it are both sent, and both scanned;
* the name of every ref the push creates (a branch named after a key), as the bot reads a pushed ref's
  name; an existing name was already read when it was created;
* the message of every annotated tag pushed.

Deletions send nothing. The commits, names and messages are read with git alone (no network): the
hook runs before the push connects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from leakguard.errors import ConfigError, LeakguardError
from leakguard.findings import SkippedFile
from leakguard.git import Git, validate_commit_id, validate_ref_name, validate_revision
from leakguard.inspection.refs import present
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, CommitInfo, Fragment
from leakguard.sources.history import commit_fragments
from leakguard.sources.metadata import ref_name_fragment, tag_message_fragments


@dataclass(frozen=True, slots=True)
class RefUpdate:
    """One ref a push updates. ``local_ref`` is as the user named it (``main``, ``HEAD~1``, ``(delete)``)
    and is only ever shown; the object ids and ``remote_ref`` are validated. ``creates``: the remote
    has no ``remote_ref`` yet, so its name is new there."""

    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str
    creates: bool

    @property
    def deletes(self) -> bool:
        """The push deletes ``remote_ref``: nothing is sent."""
        return _is_zero(self.local_oid)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A push about to happen: the remote (its name, or the URL of an unnamed one) and its updates."""

    remote: str | None
    updates: tuple[RefUpdate, ...]


ZERO = "0" * 40


def _is_zero(object_id: str) -> bool:
    return not object_id.strip("0")


def parse_updates(text: str) -> list[RefUpdate]:
    """The ref updates of git's pre-push standard input; raise :class:`ConfigError` on a malformed line."""
    updates = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rsplit(" ", 3)  # the local ref is as typed; the last three fields never hold spaces
        if len(fields) != 4:
            raise ConfigError(
                f"pre-push input, line {number}: expected '<local ref> <local oid> <remote ref> <remote oid>'"
            )
        local_ref, local_oid, remote_ref, remote_oid = fields
        where = f"pre-push input, line {number}"
        update = RefUpdate(
            local_ref,
            _valid(validate_commit_id, local_oid, f"{where}: invalid commit id (local)"),
            _valid(validate_ref_name, remote_ref, f"{where}: invalid ref name (remote)"),
            _valid(validate_commit_id, remote_oid, f"{where}: invalid commit id (remote)"),
            creates=_is_zero(remote_oid),
        )
        updates.append(update)
    return updates


def _valid(validate: Callable[[str], str], value: str, message: str) -> str:
    """``validate(value)``, or a :class:`ConfigError` of ``message``: the value itself is not repeated,
    since a ref name may be the leak."""
    try:
        return validate(value)
    except LeakguardError:
        raise ConfigError(message) from None


def pre_commit_push(environ: Mapping[str, str], git: Git) -> Outgoing:
    """The push the pre-commit framework runs its ``pre-push`` stage for (:func:`in_pre_commit_push`
    says whether it does), from the variables it sets (pre-commit 2.x and later).

    pre-commit reads git's standard input itself and describes one ref (the first it sends): the local
    ref and the remote branch, with ``PRE_COMMIT_FROM_REF`` (a commit the remote has) and
    ``PRE_COMMIT_TO_REF`` (the pushed tip), both left out for a push of a whole new history. It does not
    say whether the remote branch exists: it is taken as new when this clone has no remote-tracking
    branch for it. The other refs of a push of several never reach a hook run by pre-commit: the plain
    git hook (``leakguard pre-push``) reads them all.
    """
    remote, local, branch = (environ[f"PRE_COMMIT_{name}"] for name in _PRE_PUSH_NAMES)
    where = "pre-commit's pre-push variables"
    _valid(validate_ref_name, branch, f"{where}: invalid ref name (PRE_COMMIT_REMOTE_BRANCH)")
    to_ref = environ.get("PRE_COMMIT_TO_REF") or _commit_of(git, local, "PRE_COMMIT_LOCAL_BRANCH")
    tip = _valid(validate_commit_id, to_ref, f"{where}: invalid commit id (PRE_COMMIT_TO_REF)")
    tracking = _commit_of(git, f"refs/remotes/{remote}/{branch.removeprefix('refs/heads/')}", None)
    has = environ.get("PRE_COMMIT_FROM_REF") or tracking or ZERO
    update = RefUpdate(
        local,
        tip,
        branch,
        _valid(validate_commit_id, has, f"{where}: invalid commit id (PRE_COMMIT_FROM_REF)"),
        creates=not tracking,
    )
    return Outgoing(remote, (update,))


#: The variables pre-commit sets in its pre-push stage only (after ``PRE_COMMIT_``).
_PRE_PUSH_NAMES = ("REMOTE_NAME", "LOCAL_BRANCH", "REMOTE_BRANCH")


def in_pre_commit_push(environ: Mapping[str, str]) -> bool:
    """Whether the pre-commit framework runs this hook in its ``pre-push`` stage."""
    return all(environ.get(f"PRE_COMMIT_{name}") for name in _PRE_PUSH_NAMES)


def _commit_of(git: Git, revision: str, named: str | None) -> str:
    """The object id ``revision`` names (validated first); "" when it names nothing and ``named`` is
    None, else a :class:`ConfigError` naming the variable ``named`` (not its value)."""
    checked = _valid(validate_revision, revision, f"{named or 'a remote-tracking branch'} is not a revision")
    found = git.run(["rev-parse", "--verify", "--quiet", checked], check=False)
    object_id = found.decode("ascii", "replace").strip()
    if not object_id and named is not None:
        raise ConfigError(f"{named} names no commit in this repository")
    return object_id


def outgoing_fragments(
    git: Git,
    remote: str | None,
    updates: Sequence[RefUpdate],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """Everything ``updates`` send to ``remote`` (a remote's name, or the URL of an unnamed one), as the
    bot would scan it: the commits the remote lacks, the names of the refs created, the messages of the
    annotated tags pushed."""
    sent = [update for update in updates if not update.deletes]
    if not sent:
        return
    tips = list(dict.fromkeys(update.local_oid for update in sent))
    # What the remote has: the tips it replaces (those this clone holds: a force-push may replace work
    # never fetched) and its branches as last fetched. On the command line, not on --stdin, where
    # git before 2.42 would read them under the --not and include them instead.
    held = present(git, [update.remote_oid for update in sent if not update.creates])
    name = _remote_name(git, remote) if remote else None
    has = [*held, *([f"--remotes={name}"] if name else [])]
    revisions = [*tips, *(["--not", *has] if has else [])]
    yield from commit_fragments(git, revisions, max_file_bytes=max_file_bytes)
    for update in sent:
        if update.creates:
            yield ref_name_fragment(update.remote_ref, update.local_oid)
    tags = [update.local_oid for update in sent if update.remote_ref.startswith("refs/tags/")]
    yield from tag_message_fragments(git, tags, max_bytes=max_file_bytes)  # lightweight tags: skipped


def _remote_name(git: Git, remote: str) -> str | None:
    """The configured remote ``remote`` is, by name or by URL (``git push URL`` names none); None when
    none is: then only the refs the push replaces tell what the remote has."""
    urls = git.run(["config", "--get-regexp", r"^remote\..*\.url$"], check=False).decode("utf-8", "replace")
    names: dict[str, str] = {}
    for line in urls.splitlines():
        key, _, url = line.partition(" ")
        names.setdefault(key.removeprefix("remote.").removesuffix(".url"), url)
    name = remote if remote in names else next((n for n, url in sorted(names.items()) if url == remote), None)
    if name is None or any(c in name for c in "*?["):  # --remotes= takes a glob: it would match others
        return None
    return name
