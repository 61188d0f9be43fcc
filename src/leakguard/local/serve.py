"""``leakguard local serve``: the local bot kept running, for a person pushing by hand."""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path
from types import FrameType

from leakguard.events.codecommit import validate_repository_name
from leakguard.local.codecommit import CodeCommitStandIn
from leakguard.local.emulator import local_aws
from leakguard.local.outbox import write_eml
from leakguard.local.pipeline import LocalPipeline
from leakguard.local.template import synthesize
from leakguard.local.timeline import Timeline


def serve(repo: Path, *, workdir: Path, timeline: Timeline | None = None, rounds: int | None = None) -> int:
    """Watch the bare repository ``repo`` (created if missing) until Ctrl-C; ``rounds`` bounds it in tests."""
    t = timeline or Timeline()
    repo = repo.resolve()
    name = repo.name[: -len(".git")] if repo.name.endswith(".git") else repo.name
    validate_repository_name(name)
    workdir.mkdir(parents=True, exist_ok=True)
    t.step(f"Starting the local leakguard for repository {name} ({repo})")
    with local_aws(tls_dir=workdir.resolve() / "tls") as aws:
        template = synthesize(
            {
                "repositories": [name],
                "notificationEmails": ["security-admins@example.com"],
                "remediations": {"*": {"lock": True, "reset": True}},
            }
        )
        pipeline = LocalPipeline.deploy(aws, template, workdir=workdir)
        pipeline.create_repository(name, repo)
        t.event(
            "codecommit",
            f"{repo} is served as {aws.remote(name)} (git endpoint https://{aws.git.host}, "
            "SigV4-checked); the functions fetch and push through that remote",
        )
        _instructions(t, aws.environment(), aws.codecommit, name, aws.remote(name))
        mails, round_ = 0, 0
        stop = _StopRequest()
        try:
            while not stop.requested and (rounds is None or round_ < rounds):
                round_ += 1
                for delivery in pipeline.pump(idle_rounds=1, timeout=5):
                    t.event(delivery.function, delivery.summary())
                for mail in pipeline.mails():
                    mails += 1
                    path = write_eml(
                        workdir / "outbox", to=mail.to, subject=mail.subject, body=mail.body, number=mails
                    )
                    t.event("sns", f"email to {mail.to}: {mail.subject} ({path})")
                    t.block(mail.body)
                stop.wait(0.5)
            if stop.requested:
                t.step("Stopped (Ctrl-C): the embedded AWS is shut down; the repository and its hook stay")
        finally:
            stop.restore()
            pipeline.close()
    return 0


class _StopRequest:
    """Ctrl-C asks the serve loop to stop after the current round, so no handler (a reset half-way
    through a push) is interrupted; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self._previous)


def _instructions(
    t: Timeline, environment: dict[str, str], stand_in: CodeCommitStandIn, name: str, remote: str
) -> None:
    git_keys = ("CODE_COMMIT_ENDPOINT", "GIT_SSL_CAINFO", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "PATH")  # fmt: skip
    git_env = " ".join(f"{k}={shlex.quote(environment[k])}" for k in git_keys)
    t.event("ready", "push to it and watch; Ctrl-C stops. In another terminal (git-remote-codecommit):")
    t.block(
        f"export {git_env}\n"
        f"git clone {remote} work && cd work\n"
        "# commit something (a generated fake key shows the whole flow), then: git push"
    )
    exports = " ".join(
        f"{k}={shlex.quote(v)}" for k, v in sorted(environment.items()) if k.startswith("AWS_ENDPOINT")
    )
    t.event("admin", "to unlock while this runs (the same embedded AWS):")
    t.block(
        f"env {exports} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\\n"
        f"  AWS_DEFAULT_REGION={stand_in.region} \\\n"
        f"  leakguard unlock {name} --reason 'rotated'"
    )
