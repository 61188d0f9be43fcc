"""An embedded AWS: moto's server in this process, on loopback, plus the CodeCommit stand-in.

Everything that talks to AWS (the handlers, ``leakguard unlock``, ``leakguard restore``) uses boto3's
ordinary configuration, so pointing ``AWS_ENDPOINT_URL`` at the embedded server is all it takes: no
code path exists only for local mode.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leakguard.local.codecommit import CodeCommitStandIn

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
    region: str = REGION
    account: str = ACCOUNT

    def environment(self) -> dict[str, str]:
        """The environment variables that send boto3 to the embedded services."""
        return {
            **_ENV,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ENDPOINT_URL_CODECOMMIT": self.codecommit_endpoint,
        }


@contextmanager
def local_aws() -> Iterator[LocalAws]:
    """Start moto's server and the CodeCommit stand-in on loopback ports; stop both on exit.

    The process environment points boto3 at them while the context is open and is restored after.
    """
    from moto.server import ThreadedMotoServer

    from leakguard.local.codecommit import serve_codecommit

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its state per process, not per server: start from an empty account every time.
    reset = urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - our own loopback server
    codecommit = serve_codecommit(region=REGION, account=ACCOUNT)
    aws = LocalAws(
        endpoint=f"http://{host}:{port}", codecommit_endpoint=codecommit.url, codecommit=codecommit.stand_in
    )
    saved = {key: os.environ.get(key) for key in aws.environment()}
    os.environ.update(aws.environment())
    try:
        yield aws
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        codecommit.stop()
        server.stop()
