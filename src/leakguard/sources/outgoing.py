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

from collections.abc import Iterator, Mapping, Sequence
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
        try:
            update = RefUpdate(
                local_ref,
                validate_commit_id(local_oid),
                validate_ref_name(remote_ref),
                validate_commit_id(remote_oid),
                creates=_is_zero(remote_oid),
            )
        except LeakguardError as exc:
            raise ConfigError(f"pre-push input, line {number}: {exc}") from None
        updates.append(update)
    return updates


def pre_commit_push(environ: Mapping[str, str], git: Git) -> Outgoing | None:
    """The push the pre-commit framework runs its ``pre-push`` stage for, from the variables it sets
    (pre-commit 2.x and later); None outside that stage.

    pre-commit reads git's standard input itself and describes one ref (the first it sends): the local
    ref and the remote branch, with ``PRE_COMMIT_FROM_REF`` (a commit the remote has) and
    ``PRE_COMMIT_TO_REF`` (the pushed tip), both left out for a push of a whole new history. It does not
    say whether the remote branch exists: it is taken as new when this clone has no remote-tracking
    branch for it. The other refs of a push of several never reach a hook run by pre-commit: the plain
    git hook (``leakguard pre-push``) reads them all.
    """
    remote = environ.get("PRE_COMMIT_REMOTE_NAME")
    local = environ.get("PRE_COMMIT_LOCAL_BRANCH")
    branch = environ.get("PRE_COMMIT_REMOTE_BRANCH")
    if not (remote and local and branch):
        return None
    try:
        validate_ref_name(branch)
        tip = validate_commit_id(environ.get("PRE_COMMIT_TO_REF") or _commit_of(git, local))
        tracking = _commit_of(
            git, f"refs/remotes/{remote}/{branch.removeprefix('refs/heads/')}", missing_ok=True
        )
        has = environ.get("PRE_COMMIT_FROM_REF") or tracking or ZERO
        update = RefUpdate(local, tip, branch, validate_commit_id(has), creates=not tracking)
    except LeakguardError as exc:
        raise ConfigError(f"pre-commit's pre-push variables: {exc}") from None
    return Outgoing(remote, (update,))


def _commit_of(git: Git, revision: str, *, missing_ok: bool = False) -> str:
    """The object id ``revision`` names (validated first); "" when it names nothing and ``missing_ok``."""
    found = git.run(["rev-parse", "--verify", "--quiet", validate_revision(revision)], check=False)
    object_id = found.decode("ascii", "replace").strip()
    if not object_id and not missing_ok:
        raise ConfigError(f"{revision!r} names no commit in this repository")
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
