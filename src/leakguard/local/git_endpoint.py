"""CodeCommit's git endpoint on loopback: git smart HTTP over TLS, SigV4-checked, for local runs and tests.

In AWS the functions fetch and push through ``codecommit::REGION://REPO`` remotes: git runs
git-remote-codecommit, which signs a URL with the function's role and hands it to git's HTTPS transport.
This stand-in lets that exact path run on one machine. It serves ``/v1/repos/REPO`` as CodeCommit does,
with TLS from a certificate it issues (git trusts it through ``GIT_SSL_CAINFO``, nothing is told to skip
verification), answers 401 without credentials and 403 unless git-remote-codecommit's signature is right
for credentials it was given and the caller may do what it asks (GitPull, GitPush), and hands the rest
to ``git http-backend``, git's own smart-HTTP server. git-remote-codecommit finds it through its
``CODE_COMMIT_ENDPOINT`` variable: nothing on the client side exists only for local mode.

It serves filtered fetches (partial clones: ``uploadpack.allowFilter``) unless ``serves_filters`` is
turned off. Whether CodeCommit itself does is not documented, so tests run the inspector both ways.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import parse_qs, urlsplit

from leakguard.local.sigv4 import Credentials, SignatureError, basic_auth, verify
from leakguard.local.tls import LOOPBACK, LocalCertificate, issue_loopback_certificate

logger = logging.getLogger(__name__)

ALL_ACTIONS = frozenset({"GitPull", "GitPush"})
_REPO_PATH = re.compile(r"^/v1/repos/(?P<repository>[\w.-]{1,100})(?P<rest>/.*)?$")
_SERVICES = {"git-upload-pack": "GitPull", "git-receive-pack": "GitPush"}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class GitRequest:
    """One request the endpoint answered (for tests and the demo's timeline; no credentials in it)."""

    repository: str
    action: str | None
    access_key: str | None
    status: int


class GitEndpoint:
    """Repositories by name, the credentials allowed to use them, and the TLS server in front."""

    def __init__(self, *, region: str, certificate: LocalCertificate, git: str = "git") -> None:
        self.region = region
        self.certificate = certificate
        self.git = shutil.which(git) or git
        self.repositories: dict[str, Path] = {}
        self.requests: list[GitRequest] = []
        #: Answer ``--filter`` fetches with a filtered pack (git's default is to ignore the filter).
        self.serves_filters = True
        #: Speak git's protocol v2 when the client asks for it, which serves any object by id (a
        #: partial clone's missing blobs); off: protocol v0, which refuses objects no ref advertises.
        self.serves_protocol_v2 = True
        self._credentials: dict[str, Credentials] = {}
        self._actions: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certificate.cert_file, certificate.key_file)
        self._server = _TlsServer(self, context)
        self._thread = threading.Thread(target=self._server.serve_forever, name="git-endpoint", daemon=True)
        self._thread.start()

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: what git-remote-codecommit signs and connects to."""
        return f"{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""
        return LOOPBACK, int(self._server.server_address[1])

    def environment(self) -> dict[str, str]:
        """What a git client needs to reach this endpoint through ``codecommit::`` remotes."""
        return {"CODE_COMMIT_ENDPOINT": self.host, "GIT_SSL_CAINFO": str(self.certificate.ca_file)}

    def add_repository(self, name: str, path: Path) -> None:
        """Serve the bare repository at ``path`` as CodeCommit repository ``name``."""
        with self._lock:
            self.repositories[name] = path.resolve()

    def allow(self, credentials: Credentials, actions: Iterable[str] = ALL_ACTIONS) -> None:
        """Accept requests signed with ``credentials`` for ``actions`` (``GitPull``, ``GitPush``)."""
        wanted = frozenset(actions)
        if wanted - ALL_ACTIONS:
            raise ValueError(f"unknown actions {sorted(wanted - ALL_ACTIONS)}")
        with self._lock:
            self._credentials[credentials.access_key] = credentials
            self._actions[credentials.access_key] = wanted

    def forget(self) -> None:
        """Drop every repository, credential and recorded request (between tests)."""
        with self._lock:
            self.repositories.clear()
            self._credentials.clear()
            self._actions.clear()
            self.requests.clear()
            self.serves_filters = True
            self.serves_protocol_v2 = True

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- used by the request handler ------------------------------------------------------------

    def authorize(self, authorization: str | None, repository: str) -> Credentials:
        """The credentials behind a correctly signed request for ``repository``; raise otherwise."""
        auth = basic_auth(authorization)
        if auth is None:
            raise _Unauthenticated
        with self._lock:
            known = dict(self._credentials)
        return verify(*auth, known=known, region=self.region, host=self.host, path=f"/v1/repos/{repository}")

    def may(self, credentials: Credentials, action: str) -> bool:
        """True when ``credentials`` were allowed ``action``."""
        with self._lock:
            return action in self._actions.get(credentials.access_key, frozenset())

    def record(self, request: GitRequest) -> None:
        with self._lock:
            self.requests.append(request)


@contextmanager
def serve_git_endpoint(*, region: str, directory: Path | None = None) -> Iterator[GitEndpoint]:
    """Issue a certificate (into ``directory``, else a temporary one) and serve until the context ends."""
    with tempfile.TemporaryDirectory(prefix="leakguard-tls-") as scratch:
        certificate = issue_loopback_certificate(directory or Path(scratch))
        endpoint = GitEndpoint(region=region, certificate=certificate)
        try:
            yield endpoint
        finally:
            endpoint.stop()


class _Unauthenticated(Exception):
    """No credentials at all: git retries with them after a 401."""


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, endpoint: GitEndpoint, context: ssl.SSLContext) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.endpoint = endpoint
        # The handshake runs in each connection's own thread (see _Handler.setup), so a client that
        # connects and says nothing cannot stall the accept loop.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.warning("git endpoint: connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120
    server: _TlsServer

    def setup(self) -> None:
        super().setup()
        self.connection.do_handshake()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        return  # requests are recorded on the endpoint; the URL's query is harmless but noisy

    def _serve(self) -> None:
        endpoint = self.server.endpoint
        url = urlsplit(self.path)
        match = _REPO_PATH.match(url.path)
        if match is None:
            self._reply(404, "not a CodeCommit repository path")
            return
        repository, rest = match["repository"], match["rest"] or "/"
        service = parse_qs(url.query).get("service", [""])[0] if rest == "/info/refs" else rest.lstrip("/")
        action = _SERVICES.get(service)
        try:
            credentials = endpoint.authorize(self.headers.get("Authorization"), repository)
        except _Unauthenticated:
            self._finish(repository, action, None, 401, "authentication required",
                         {"WWW-Authenticate": 'Basic realm="AWS CodeCommit (leakguard local)"'})  # fmt: skip
            return
        except SignatureError as exc:
            self._finish(repository, action, None, 403, f"forbidden: {exc}")
            return
        key = credentials.access_key
        if action is None:
            self._finish(repository, action, key, 404, "only git smart HTTP is served")
        elif not endpoint.may(credentials, action):
            self._finish(repository, action, key, 403, f"forbidden: {action} is not allowed")
        elif repository not in endpoint.repositories:
            self._finish(repository, action, key, 404, f"repository {repository} does not exist")
        else:
            status = self._backend(endpoint.repositories[repository], rest, url.query, key)
            endpoint.record(GitRequest(repository, action, key, status))

    def _finish(
        self,
        repository: str,
        action: str | None,
        access_key: str | None,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.server.endpoint.record(GitRequest(repository, action, access_key, status))
        self._reply(status, message, headers)

    def _reply(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        body = (message + "\n").encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")  # the request body, if any, was not read
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _read_body(self, spool: IO[bytes]) -> int | None:
        """Copy the request body, de-chunked, into ``spool``; its size, None without a body.

        git streams large pushes with chunked transfer encoding, which a CGI cannot take as stdin.
        """
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        length = self.headers.get("Content-Length")
        if not chunked and length is None:
            return None
        size = 0
        if chunked:
            while (chunk := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                size += spool.write(self.rfile.read(chunk))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
        else:
            remaining = int(length or 0)
            while remaining > 0 and (data := self.rfile.read(min(remaining, _CHUNK))):
                size += spool.write(data)
                remaining -= len(data)
        spool.seek(0)
        return size

    def _backend(self, path: Path, rest: str, query: str, user: str) -> int:
        """Run ``git http-backend`` as a CGI for this request and stream its answer back."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_PROJECT_ROOT=str(path.parent),
            GIT_HTTP_EXPORT_ALL="1",
            GATEWAY_INTERFACE="CGI/1.1",
            SERVER_PROTOCOL="HTTP/1.1",
            REQUEST_METHOD=self.command,
            PATH_INFO=f"/{path.name}{rest}",
            QUERY_STRING=query,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            REMOTE_ADDR=self.client_address[0],
            REMOTE_USER=user,  # also what makes http-backend enable receive-pack
        )
        if self.server.endpoint.serves_filters:
            env.update(
                GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="uploadpack.allowFilter", GIT_CONFIG_VALUE_0="true"
            )
        headers = (
            ("Content-Encoding", "Git-Protocol")
            if self.server.endpoint.serves_protocol_v2
            else ("Content-Encoding",)
        )
        for header in headers:
            if value := self.headers.get(header):
                env["HTTP_" + header.upper().replace("-", "_")] = value
        with tempfile.TemporaryFile() as body, tempfile.TemporaryFile() as errors:
            size = self._read_body(body)
            if size is not None:
                env["CONTENT_LENGTH"] = str(size)
            with subprocess.Popen(
                [self.server.endpoint.git, "http-backend"],
                stdin=body if size is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
            ) as process:
                status = self._relay(cast(io.BufferedReader, process.stdout))
            if process.returncode:
                errors.seek(0)
                logger.warning("git http-backend failed: %s", errors.read().decode("utf-8", "replace")[:500])
        return status

    def _relay(self, cgi: io.BufferedReader) -> int:
        """Turn the CGI's header block and body into an HTTP/1.1 chunked response."""
        status, headers = 200, []
        while (line := cgi.readline().rstrip(b"\r\n")) != b"":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            else:
                headers.append((name.strip(), value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while data := cgi.read1(_CHUNK):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        return status
