"""Lambda's Runtime API (2018-06-01) on loopback: what awslambdaric, Lambda's real bootstrap, talks to.

The Lambda service hands a function process one invocation at a time through ``GET
/runtime/invocation/next`` and takes the answer through ``POST .../response`` or ``.../error``; a failed
cold start reports ``POST /runtime/init/error``. This is that protocol and nothing more, for one
function process per instance.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    """One event and what the function answered (``result`` or ``error``)."""

    request_id: str
    event: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: dict[str, Any] | None = None


class RuntimeApi:
    """The Runtime API for one function process; :meth:`invoke` plays the Lambda service."""

    def __init__(self, *, function_arn: str, timeout_seconds: int = 900) -> None:
        self.function_arn = function_arn
        self.timeout_seconds = timeout_seconds
        self.init_error: dict[str, Any] | None = None
        self.ready = threading.Event()  # the first /next: the cold start (init) is over
        self.ready_at: float | None = None
        self._pending: queue.Queue[Invocation] = queue.Queue()
        self._by_id: dict[str, Invocation] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="runtime-api", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def invoke(self, event: dict[str, Any], *, timeout: float, alive: Any = None) -> Invocation:
        """Queue ``event`` for the function and wait for its answer (``alive()`` false: it died)."""
        invocation = Invocation(request_id=str(uuid.uuid4()), event=event)
        self._by_id[invocation.request_id] = invocation
        self._pending.put(invocation)
        deadline = time.monotonic() + timeout
        while not invocation.done.wait(0.2):
            if self.init_error is not None:
                raise RuntimeError(f"function failed to start: {self.init_error}")
            if alive is not None and not alive():
                raise RuntimeError("function process exited")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer within {timeout}s")
        return invocation

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what the handler below calls -----------------------------------------------------------

    def next_invocation(self) -> Invocation:
        if not self.ready.is_set():
            self.ready_at = time.monotonic()
            self.ready.set()
        return self._pending.get()

    def answer(self, request_id: str, *, result: Any = None, error: dict[str, Any] | None = None) -> None:
        invocation = self._by_id.pop(request_id)
        invocation.result, invocation.error = result, error
        invocation.done.set()


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path != f"{_PREFIX}/invocation/next":
                self._send(404, {"errorMessage": f"unknown path {self.path}"})
                return
            invocation = api.next_invocation()
            deadline_ms = int((time.time() + api.timeout_seconds) * 1000)
            self._send(
                200,
                invocation.event,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                },
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = json.loads(body) if body else None
            parts = self.path[len(_PREFIX) :].strip("/").split("/")
            if parts == ["init", "error"]:
                api.init_error = payload or {
                    "errorType": self.headers.get("Lambda-Runtime-Function-Error-Type")
                }
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                if parts[2] == "response":
                    api.answer(parts[1], result=payload)
                else:
                    api.answer(parts[1], error=payload or {})
            else:
                self._send(404, {"errorMessage": f"unknown path {self.path}"})
                return
            self._send(202, {"status": "OK"})

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
