"""``leakguard scan``: a commit range, the staged changes, files and directories, or standard input.

The engine, the ignore file and the acceptance policy are the inspector's own (:func:`run_scan`,
:func:`apply_policy`), so what passes here passes the bot. Exit codes: 0 clean, ``--exit-code``
(default 1) when enforce-mode findings remain, 2 for any usage, configuration or I/O error (one line).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leakguard.acceptance.policy import ACCEPTANCE_POLICIES, apply_policy
from leakguard.acceptance.repository import pushed_ignore_list
from leakguard.commands.scan_target import GitTarget, git_target, repository_paths, scan_root
from leakguard.commands.selection import Selection, split_ids
from leakguard.detect.engine import Detector
from leakguard.errors import ConfigError, GitError
from leakguard.findings import SkippedFile
from leakguard.fingerprints import FingerprintKey, use_key
from leakguard.git import Git, validate_log_argument
from leakguard.ignore import IGNORE_FILE_NAME, IgnoreList, render_additions
from leakguard.inspection.refs import list_refs
from leakguard.keystore import cache_dir, cli_key
from leakguard.pool import available_cores
from leakguard.report.jsonl import render_json, render_jsonl
from leakguard.report.sarif import render_sarif
from leakguard.report.text import render_text
from leakguard.rules import load_rules
from leakguard.rules.model import SEVERITIES, RuleSet
from leakguard.rules.validated import MarkDirectory
from leakguard.scan import ScanReport, run_scan
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, CommitInfo, Fragment
from leakguard.sources.blobs import blob_fragments
from leakguard.sources.files import FileToRead, file_fragments
from leakguard.sources.history import commit_fragments, count_commits, staged_fragments
from leakguard.sources.metadata import ref_name_fragment, tag_message_fragments
from leakguard.sources.outgoing import Outgoing, in_pre_commit_push, outgoing_fragments, pre_commit_push

EXIT_CLEAN = 0
STDIN = "-"
Items = Iterator[Fragment | SkippedFile | CommitInfo | FileToRead]


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``scan`` and its options."""
    scan = commands.add_parser(
        "scan", help="scan a commit range, the staged changes, files, or standard input ('-')"
    )
    add_scan_options(scan)


def add_scan_options(scan: argparse.ArgumentParser, *, paths: bool = True) -> None:
    """The options of ``scan`` (``pre-commit`` takes the same; ``pre-push`` all but the ``paths``)."""
    if paths:
        scan.add_argument(
            "paths",
            nargs="*",
            help="files or directories to scan, '-' for standard input; "
            "with --range/--staged: only these paths",
        )
    source = scan.add_mutually_exclusive_group()
    source.add_argument(
        "--range",
        dest="revisions",
        action="append",
        metavar="REVS",
        help="git revisions, e.g. origin/main..HEAD or --all (every commit in it is scanned)",
    )
    source.add_argument("--staged", action="store_true", help="scan what the next commit would add")
    scan.add_argument("--repo", default=".", help="the git repository (default: current directory)")
    history = scan.add_argument_group("history (with --range)")
    history.add_argument("--since", help="only commits more recent than this date (git log --since)")
    history.add_argument("--until", help="only commits older than this date (git log --until)")
    history.add_argument(
        "--log-opts",
        metavar="OPTS",
        help='more commit-selecting git log options, e.g. "--author=dev --no-merges -- src/"',
    )
    selection = scan.add_argument_group("what to report")
    selection.add_argument("--rules", help="rules file (default: the bundled rules/regex.json)")
    selection.add_argument(
        "--enable-rule", action="append", metavar="ID[,ID]", help="report only these rules"
    )
    selection.add_argument(
        "--disable-rule", action="append", metavar="ID[,ID]", help="do not report these rules"
    )
    selection.add_argument("--min-severity", choices=SEVERITIES, help="report findings at least this severe")
    selection.add_argument(
        "--exclude-path", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB"
    )
    selection.add_argument(
        "--scan-dependency-dirs",
        action="store_true",
        help="also scan node_modules, .venv and similar directories (reported as skipped otherwise)",
    )
    selection.add_argument("--no-plugins", action="store_true", help="rules only, no detect-secrets plugins")
    scan.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="scan on N cores (default: every core this process may use); the report is the same",
    )
    selection.add_argument(
        "--max-file-size",
        type=int,
        default=None,
        metavar="BYTES",
        help=f"read at most this much of a file (the rest is reported as skipped); "
        f"default {DEFAULT_MAX_FILE_BYTES >> 20} MiB",
    )
    accepting = scan.add_argument_group("accepted findings")
    accepting.add_argument(
        "--ignore-file", help=f"accepted findings (default: the repository's {IGNORE_FILE_NAME})"
    )
    accepting.add_argument(
        "--acceptance-policy",
        choices=ACCEPTANCE_POLICIES,
        default="honour",
        help="honour in-repository acceptances (default, as the bot) or count them as findings",
    )
    accepting.add_argument(
        "--write-ignore",
        action="store_true",
        help=f"add every finding of this scan to the ignore file ({IGNORE_FILE_NAME}) and exit 0",
    )
    accepting.add_argument(
        "--fingerprint-key-file",
        metavar="PATH",
        help="fingerprint key (default: $LEAKGUARD_FINGERPRINT_KEY, or what `leakguard key pull` saved)",
    )
    output = scan.add_argument_group("output")
    output.add_argument("--format", choices=("text", "json", "jsonl", "sarif"), default="text")
    output.add_argument("--output", "-o", help="write the report here (findings still show on the terminal)")
    output.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    output.add_argument(
        "--exit-code", type=int, default=1, metavar="N", help="exit status when findings remain (default 1)"
    )
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    output.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    output.add_argument("--stdin-name", default="<stdin>", help="the path to report for '-' (standard input)")


def run(args: argparse.Namespace) -> int:
    """Scan what the arguments select, write the report, return the exit status."""
    if not 0 <= args.exit_code <= 255:
        raise ConfigError("--exit-code must be between 0 and 255")
    max_bytes = args.max_file_size if args.max_file_size is not None else DEFAULT_MAX_FILE_BYTES
    if max_bytes <= 0:
        raise ConfigError("--max-file-size must be a positive number of bytes")
    key = cli_key(args.fingerprint_key_file)
    use_key(key)
    selection = Selection(
        enable=split_ids(args.enable_rule),
        disable=split_ids(args.disable_rule),
        min_severity=args.min_severity,
        exclude=tuple(args.exclude_path),
    )
    jobs = args.jobs if args.jobs is not None else available_cores()
    if jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    ruleset = load_rules(args.rules, validated=MarkDirectory(cache_dir() / "validated-rules"))
    selection.check(ruleset)
    items, root, ignore, progress = _source(args, selection, max_bytes)
    try:
        report = run_scan(
            Detector(selection.narrow(ruleset), plugins=not args.no_plugins),
            selection.items(items),
            ignore=ignore,
            on_commit=(lambda _commit: progress.update(1)) if progress else None,
            jobs=jobs,
        )
    finally:
        if progress is not None:
            progress.close()
    report.findings = [f for f in report.findings if selection.keeps(f)]
    report.accepted = [a for a in report.accepted if selection.keeps(a.finding)]
    if ignore is not None:
        report.notices.extend(ignore.notices(key))
    apply_policy(report, args.acceptance_policy)
    if args.write_ignore:
        return _write_ignore(args, report, root, key)
    verdict = args.exit_code if report.enforced else EXIT_CLEAN
    try:
        _write(args, report, ruleset, root)
    except BrokenPipeError:
        # ``leakguard scan ... | head``: the reader had enough; the verdict is the scan's, not the pipe's.
        from leakguard.cli import silence_stdout

        silence_stdout()
    return verdict


def _source(
    args: argparse.Namespace, selection: Selection, max_bytes: int
) -> tuple[Items, Path | None, IgnoreList | None, Any]:
    """The items to scan, the root their paths are relative to, the ignore file, a progress bar."""
    if getattr(args, "outgoing", None) is not None:
        target = git_target(args.repo, staged=False)
        return _outgoing_source(args, target, args.outgoing, max_bytes)
    if getattr(args, "pre_commit", False):
        if in_pre_commit_push(os.environ):  # the framework's pre-push stage: the commits, not the files
            target = git_target(args.repo, staged=False)
            return _outgoing_source(args, target, pre_commit_push(os.environ, target.git), max_bytes)
        return _pre_commit_source(args, max_bytes)
    if args.revisions or args.staged:
        if STDIN in args.paths:  # else '-' would be a path limiting the scan to nothing, silently
            raise ConfigError("'-' (standard input) cannot be combined with --range or --staged")
        target = git_target(args.repo, staged=args.staged)
        paths = repository_paths(args.paths, target.root)
        ignore = _ignore_list(args, target)
        if args.staged:
            items: Items = staged_fragments(target.git, max_file_bytes=max_bytes)
            return _only_paths(items, paths), target.root, ignore, None
        revisions, log_paths = _log_arguments(args)
        paths += log_paths
        progress = _progress(args, target, revisions)
        items = commit_fragments(target.git, revisions, max_file_bytes=max_bytes)
        if not paths:  # a ref's name and a tag's message have no path: a path-limited scan leaves them out
            items = _with_ref_metadata(target.git, items, max_bytes)
        return _only_paths(items, paths), target.root, ignore, progress
    if args.since or args.until or args.log_opts:
        raise ConfigError("--since, --until and --log-opts select commits: use them with --range")
    if not args.paths:
        raise ConfigError(
            "nothing to scan: give files or directories, '-' for stdin, --range REVS or --staged"
        )
    if args.paths == [STDIN]:
        return _stdin_items(args.stdin_name, max_bytes), None, _explicit_ignore(args), None
    if STDIN in args.paths:
        raise ConfigError("'-' (standard input) cannot be combined with other paths")
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        raise ConfigError(f"no such file or directory: {missing[0]}")
    root = scan_root(args.paths)
    items = file_fragments(
        args.paths,
        max_file_bytes=max_bytes,
        relative_to=root,
        exclude=selection.excludes if selection.exclude else None,
        dependency_dirs=args.scan_dependency_dirs,
        deferred=True,  # read where they are scanned: by the workers, with --jobs above 1
    )
    default = root / IGNORE_FILE_NAME
    ignore = _explicit_ignore(args) or (IgnoreList.load(default) if default.is_file() else None)
    return items, root, ignore, None


def _pre_commit_source(
    args: argparse.Namespace, max_bytes: int
) -> tuple[Items, Path | None, IgnoreList | None, Any]:
    """What a commit being made adds, and the whole of every given file it does not touch.

    ``pre-commit`` passes the staged files on a commit (their added lines are scanned, so an old
    secret does not block an unrelated edit) and every file on ``--all-files``/``--files`` (nothing
    staged: their content is scanned, which is what the user asked to check).
    """
    target = git_target(args.repo, staged=True)
    assert target.root is not None  # noqa: S101 - git_target(staged=True) refuses bare repositories
    ignore = _ignore_list(args, target)
    paths = repository_paths(args.paths, target.root)
    if not paths:
        return staged_fragments(target.git, max_file_bytes=max_bytes), target.root, ignore, None
    staged = set(
        target.git.run(["diff", "--cached", "--name-only", "-z", "--no-renames", "--", *paths])
        .decode("utf-8", "surrogateescape")
        .split("\0")
    ) - {""}
    unchanged = [str(target.root / p) for p in paths if p not in staged and (target.root / p).is_file()]

    def items() -> Items:
        if staged:
            yield from _only_paths(staged_fragments(target.git, max_file_bytes=max_bytes), sorted(staged))
        if unchanged:
            yield from file_fragments(unchanged, max_file_bytes=max_bytes, relative_to=target.root)

    return items(), target.root, ignore, None


def _outgoing_source(
    args: argparse.Namespace, target: GitTarget, outgoing: Outgoing, max_bytes: int
) -> tuple[Items, Path | None, IgnoreList | None, Any]:
    """What the push ``outgoing`` is about to send from ``target`` (:mod:`leakguard.sources.outgoing`)."""
    ignore = _ignore_list(args, target)
    items = outgoing_fragments(target.git, outgoing.remote, outgoing.updates, max_file_bytes=max_bytes)
    return items, target.root, ignore, None


def _log_arguments(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """``git log`` arguments from ``--range``, ``--since``/``--until`` and ``--log-opts`` (validated),
    and the paths after a ``--`` in ``--log-opts``."""
    revisions = list(args.revisions)
    for option, value in (("--since", args.since), ("--until", args.until)):
        if value:
            revisions.append(f"{option}={value}")
    paths: list[str] = []
    if args.log_opts:
        try:
            words = shlex.split(args.log_opts)
        except ValueError as exc:
            raise ConfigError(f"--log-opts: {exc}") from None
        if "--" in words:
            paths = words[words.index("--") + 1 :]
            words = words[: words.index("--")]
        revisions += words
    for argument in revisions:
        validate_log_argument(argument)
    return revisions, paths


def _progress(args: argparse.Namespace, target: GitTarget, revisions: list[str]) -> Any:
    if not sys.stderr.isatty() or args.no_progress or args.quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=count_commits(target.git, revisions), unit="commit", file=sys.stderr, leave=False)


def _with_ref_metadata(git: Git, items: Items, max_bytes: int) -> Items:
    """The range's items, then what the branches and tags on its commits carry of their own, as the
    bot reads a push of them: each ref's name (a branch named after a key) and each annotated tag's
    message."""
    commits = set()
    for item in items:
        if isinstance(item, CommitInfo):
            commits.add(item.commit)
        yield item
    if not commits:
        return
    refs = [ref for ref in list_refs(git) if ref.commit_id in commits]
    for ref in refs:
        yield ref_name_fragment(ref.full_name, ref.commit_id)
    tags = [ref.object_id for ref in refs if ref.annotated]
    yield from tag_message_fragments(git, tags, max_bytes=max_bytes)


def _only_paths(items: Items, paths: list[str]) -> Items:
    prefixes = tuple(p.rstrip("/") for p in paths)
    if not prefixes or "" in prefixes:
        yield from items
        return
    for item in items:
        if isinstance(item, CommitInfo) or any(
            item.path == p or item.path.startswith(p + "/") for p in prefixes
        ):
            yield item


def _stdin_items(name: str, max_bytes: int) -> Items:
    """Standard input as one file (decoded, archives opened, like any file), up to ``max_bytes``."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        yield SkippedFile(path=name, reason=f"input exceeds the size limit of {max_bytes} bytes")
        return
    yield from blob_fragments(name, data)


def _explicit_ignore(args: argparse.Namespace) -> IgnoreList | None:
    return IgnoreList.load(args.ignore_file) if args.ignore_file else None


def _ignore_list(args: argparse.Namespace, target: GitTarget) -> IgnoreList | None:
    """The named ignore file; else the work tree root's; in a bare repository, HEAD's (as the bot)."""
    explicit = _explicit_ignore(args)
    if explicit is not None:
        return explicit
    if target.root is not None:
        default = target.root / IGNORE_FILE_NAME
        return IgnoreList.load(default) if default.is_file() else None
    try:
        head = target.git.text(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    except GitError:
        return None
    return pushed_ignore_list(target.git, head) if head else None


def _write_ignore(
    args: argparse.Namespace, report: ScanReport, root: Path | None, key: FingerprintKey
) -> int:
    """``--write-ignore``: add the findings to the ignore file; warn when the key is this machine's."""
    if args.ignore_file:
        path = Path(args.ignore_file)
    elif root is not None:
        path = root / IGNORE_FILE_NAME
    else:
        raise ConfigError("--write-ignore needs --ignore-file here (no work tree to put it in)")
    try:
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        path.write_text(render_additions(report.findings, existing, key), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write ignore file {path}: {exc.strerror or exc}") from exc
    distinct = len({f.fingerprint for f in report.findings})
    if not args.quiet:
        print(f"{path}: {distinct} fingerprint(s) for {len(report.findings)} finding(s), key {key.key_id}")
    if not key.shared:
        print(
            f"leakguard: warning: fingerprints made with {key.source}: the bot will not accept them; "
            "run `leakguard key pull` and write them again",
            file=sys.stderr,
        )
    return EXIT_CLEAN


def _colour(args: argparse.Namespace) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _write(args: argparse.Namespace, report: ScanReport, ruleset: RuleSet, root: Path | None) -> None:
    """The report to ``-o`` or stdout; with ``-o``, the findings still on the terminal (text).

    ``root`` is what report paths are relative to (SARIF declares it as its ``SRCROOT``)."""
    colour = _colour(args)
    if args.format == "jsonl":
        text = render_jsonl(report)
    elif args.format == "json":
        text = render_json(report)
    elif args.format == "sarif":
        text = render_sarif(report, ruleset, root=root)
    else:
        text = render_text(report, colour=colour and not args.output)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write report to {args.output}: {exc.strerror or exc}") from exc
        if not args.quiet:
            sys.stdout.write(render_text(report, colour=colour))
    elif not args.quiet or args.format != "text":
        sys.stdout.write(text)
    sys.stdout.flush()
