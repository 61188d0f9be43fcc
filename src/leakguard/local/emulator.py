"""An embedded AWS: moto's server in this process, on loopback, plus the CodeCommit stand-ins.

Everything that talks to AWS (the handlers, ``leakguard unlock``, ``leakguard restore``) uses boto3's
ordinary configuration, so pointing ``AWS_ENDPOINT_URL`` at the embedded server is all it takes; git
reaches ``codecommit::REGION://REPO`` remotes through git-remote-codecommit, pointed at the local git
endpoint by ``CODE_COMMIT_ENDPOINT`` and trusting its certificate through ``GIT_SSL_CAINFO``. No code
path exists only for local mode.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from leakguard.errors import ConfigError

if TYPE_CHECKING:
    from leakguard.local.codecommit import CodeCommitStandIn
    from leakguard.local.git_endpoint import GitEndpoint

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account

#: Fake credentials for the emulator: boto3 insists on some, and these can reach nothing real.
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class LocalAws:
    """Where the embedded services listen."""

    endpoint: str
    codecommit_endpoint: str
    codecommit: CodeCommitStandIn = field(compare=False, repr=False)
    git: GitEndpoint = field(compare=False, repr=False)
    region: str = REGION
    account: str = ACCOUNT

    def remote(self, repository: str) -> str:
        """The git remote of ``repository``, exactly as the functions' ``GIT_REMOTE_TEMPLATE`` makes it."""
        return f"codecommit::{self.region}://{repository}"

    def environment(self) -> dict[str, str]:
        """The environment variables that send boto3 and git to the embedded services."""
        return {
            **_ENV,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ENDPOINT_URL_CODECOMMIT": self.codecommit_endpoint,
            **self.git.environment(),
            "PATH": f"{remote_helper_directory()}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        }


def remote_helper_directory() -> Path:
    """Where ``git-remote-codecommit`` is: beside this interpreter (a venv), else on ``PATH``."""
    beside = Path(sys.executable).parent / "git-remote-codecommit"
    if beside.is_file():
        return beside.parent
    found = shutil.which("git-remote-codecommit")
    if found is None:
        raise ConfigError("git-remote-codecommit is not installed: pip install git-remote-codecommit")
    return Path(found).parent


@contextmanager
def local_aws(*, tls_dir: Path | None = None) -> Iterator[LocalAws]:
    """Start moto's server and the CodeCommit stand-ins on loopback ports; stop them on exit.

    The process environment points boto3 and git at them while the context is open and is restored
    after. ``tls_dir`` keeps the git endpoint's CA certificate somewhere a person can point git at.
    """
    from moto.server import ThreadedMotoServer

    from leakguard.local.codecommit import serve_codecommit
    from leakguard.local.git_endpoint import serve_git_endpoint
    from leakguard.local.sigv4 import Credentials

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    with ExitStack() as stack:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        stack.callback(server.stop)
        host, port = server.get_host_and_port()
        # moto keeps its state per process, not per server: start from an empty account every time.
        reset = urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - our own loopback server
        codecommit = serve_codecommit(region=REGION, account=ACCOUNT)
        stack.callback(codecommit.stop)
        git = stack.enter_context(serve_git_endpoint(region=REGION, directory=tls_dir))
        git.allow(
            Credentials(_ENV["AWS_ACCESS_KEY_ID"], _ENV["AWS_SECRET_ACCESS_KEY"], _ENV["AWS_SESSION_TOKEN"])
        )
        aws = LocalAws(
            endpoint=f"http://{host}:{port}",
            codecommit_endpoint=codecommit.url,
            codecommit=codecommit.stand_in,
            git=git,
        )
        saved = {key: os.environ.get(key) for key in aws.environment()}
        stack.callback(_restore, saved)
        os.environ.update(aws.environment())
        yield aws


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
