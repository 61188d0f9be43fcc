"""The ``leakguard`` command line: the engine the inspector runs, for people.

Exit codes: 0 clean, 1 leaks found (findings of enforce-mode rules), 2 usage or configuration error
with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from leakguard import __version__
from leakguard.errors import LeakguardError

EXIT_CLEAN, EXIT_LEAKS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"leakguard: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(prog="leakguard", description="Find credentials before (or as) they are pushed.")
    parser.add_argument("--version", action="version", version=f"leakguard {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is skipped and why")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    from leakguard.commands import (
        baseline,
        demo,
        key,
        local,
        precommit,
        prepush,
        redrive,
        restore,
        scan,
        unlock,
    )

    scan.add_parser(commands)
    precommit.add_parser(commands)
    prepush.add_parser(commands)
    key.add_parser(commands)
    rules = commands.add_parser("rules", help="test, lint and publish the rules file")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    _add_rules_option(rules_commands.add_parser("test", help="run every rule's examples"))
    _add_rules_option(rules_commands.add_parser("lint", help="report every invalid rule"))
    from leakguard.commands.rules import add_publish_parser
    from leakguard.commands.rules_list import add_list_parser

    add_publish_parser(rules_commands)
    add_list_parser(rules_commands)

    unlock.add_parser(commands)
    restore.add_parser(commands)
    baseline.add_parser(commands)
    redrive.add_parser(commands)
    demo.add_parser(commands)
    local.add_parser(commands)
    return parser


def _add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", help="rules file (default: the bundled rules/regex.json)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leakguard`` script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors (already printed)
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="leakguard: %(message)s"
    )
    warnings.simplefilter("default", DeprecationWarning)
    try:
        if args.command in ("scan", "pre-commit", "pre-push", "key"):
            from leakguard.commands import key, precommit, prepush, scan

            commands = {"scan": scan, "pre-commit": precommit, "pre-push": prepush, "key": key}
            return commands[args.command].run(args)
        if args.command == "rules":
            from leakguard.commands.rules import run_lint, run_publish, run_test
            from leakguard.commands.rules_list import run_list

            run_rules = {"test": run_test, "lint": run_lint, "publish": run_publish, "list": run_list}[
                args.rules_command
            ]
            return run_rules(args)
        if args.command in ("unlock", "restore", "baseline"):
            from leakguard.commands import baseline, restore, unlock

            return {"unlock": unlock, "restore": restore, "baseline": baseline}[args.command].run(args)
        if args.command == "redrive":
            from leakguard.commands import redrive

            return redrive.run(args)
        from leakguard.commands import demo, local

        return (demo if args.command == "demo" else local).run(args)
    except LeakguardError as exc:
        print(f"leakguard: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (``| head``) closed the pipe: it read what it wanted (scan keeps its verdict).
        silence_stdout()
        return EXIT_CLEAN
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"leakguard: error: {_one_line(where + str(exc.strerror or exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("leakguard: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = aws_error(exc)
        if message is None:
            raise
        print(f"leakguard: error: {_one_line(message)}", file=sys.stderr)
        return EXIT_ERROR


def aws_error(exc: BaseException) -> str | None:
    """A one-line message for an AWS SDK error no command caught (no region, no credentials, a refused
    call), else None: a usage or configuration problem, exit 2, never a traceback."""
    if "botocore" not in sys.modules:  # not loaded: the error cannot be one of its exceptions
        return None
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    if isinstance(exc, NoRegionError):
        return f"AWS: {exc} Pass --region or set AWS_REGION."
    if isinstance(exc, BotoCoreError | ClientError):
        return f"AWS: {exc}"
    return None


def _one_line(message: str) -> str:
    return " ".join(message.split())


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor (tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
