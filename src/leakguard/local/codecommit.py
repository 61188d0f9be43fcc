"""A stand-in for the CodeCommit calls moto lacks, checked against botocore's service model.

moto implements only CreateRepository/GetRepository/DeleteRepository for CodeCommit, and no tags. This
stand-in serves GetRepository, ListRepositories, TagResource, UntagResource and ListTagsForResource
from memory, and the object API (GetCommit, GetDifferences, GetBlob) from the real bare repository
behind each repository (:mod:`leakguard.local.objects`), in two
ways: plugged into a boto3 client through botocore's ``before-call`` event (as botocore's own Stubber
does), or over HTTP on loopback for other processes (``AWS_ENDPOINT_URL_CODECOMMIT``). Every request
is validated against the operation's input shape and every response against its output shape, unknown
output keys refused: if the stand-in and the real API drift apart, it fails loudly.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ParamValidationError
from botocore.model import OperationModel, Shape
from botocore.validate import validate_parameters

from leakguard.local.objects import ObjectMissing, RepositoryObjects

_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")
_TARGET_PREFIX = "CodeCommit_20150413."
_OBJECT_ID = re.compile(r"^[0-9a-f]{40}$")
#: Tags per repository CodeCommit allows.
MAX_TAGS = 50


class StandInDriftError(AssertionError):
    """The stand-in produced a response the real API would not: a defect of the stand-in."""


class CodeCommitStandIn:
    """Repositories and their tags, in memory; thread-safe (the HTTP front serves several clients)."""

    OPERATIONS = (
        "GetRepository",
        "ListRepositories",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "GetCommit",
        "GetDifferences",
        "GetBlob",
    )

    def __init__(
        self, *, region: str = "us-east-1", account: str = "123456789012", page_size: int = 50
    ) -> None:
        self.region = region
        self.account = account
        self.page_size = page_size
        self.tags: dict[str, dict[str, str]] = {}
        self.names: dict[str, str] = {}
        self.paths: dict[str, Path] = {}
        self.created: dict[str, datetime] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._model = botocore.session.get_session().get_service_model("codecommit")

    def add_repository(self, name: str, path: Path | None = None, *, created: datetime | None = None) -> str:
        """Create a repository (``path``: the bare repository holding its objects); return its ARN.

        ``created`` back-dates it (an existing repository leakguard starts watching).
        """
        arn = f"arn:aws:codecommit:{self.region}:{self.account}:{name}"
        with self._lock:
            self.names[name] = arn
            self.created[name] = created or datetime.now(UTC)
            self.tags.setdefault(arn, {})
            if path is not None:
                self.paths[name] = Path(path)
        return arn

    def install(self, client: Any) -> Any:
        """Serve ``client``'s calls of the stand-in's operations from this stand-in; return the client."""
        for operation in self.OPERATIONS:
            client.meta.events.register(f"before-call.codecommit.{operation}", self._before_call)
        return client

    def call(self, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate and serve one request: (HTTP status, response or error body)."""
        model = self._model.operation_model(operation)
        try:
            validate_parameters(request, model.input_shape)
        except ParamValidationError as exc:
            return 400, {"__type": "ValidationException", "message": str(exc)}
        with self._lock:
            self.calls.append((operation, request))
            try:
                output = getattr(self, "_" + operation)(request)
            except _ApiError as error:
                return 400, {"__type": error.code, "message": error.message}
        _check_output(output, model.output_shape)
        return 200, output

    def _before_call(
        self, model: OperationModel, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        status, body = self.call(model.name, json.loads(params["body"] or b"{}"))
        response = AWSResponse(params["url"], status, {}, None)
        if status != 200:
            return response, {
                "Error": {"Code": body["__type"], "Message": body["message"]},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
        return response, {**body, "ResponseMetadata": {"HTTPStatusCode": status}}

    def _arn(self, arn: str) -> dict[str, str]:
        if arn not in self.tags:
            raise _ApiError("RepositoryDoesNotExistException", f"{arn} does not exist")
        return self.tags[arn]

    def _GetRepository(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["repositoryName"]
        if name not in self.names:
            raise _ApiError("RepositoryDoesNotExistException", f"{name} does not exist")
        return {
            "repositoryMetadata": {
                "accountId": self.account,
                "repositoryId": f"id-{name}",
                "repositoryName": name,
                "Arn": self.names[name],
                "creationDate": self.created[name],
            }
        }

    def _ListRepositories(self, request: dict[str, Any]) -> dict[str, Any]:
        names = sorted(self.names)
        start = _page_start(request.get("nextToken"), len(names))
        page = [
            {"repositoryName": n, "repositoryId": f"id-{n}"} for n in names[start : start + self.page_size]
        ]
        more = start + self.page_size < len(names)
        return {"repositories": page, **({"nextToken": str(start + self.page_size)} if more else {})}

    def _objects(self, request: dict[str, Any]) -> RepositoryObjects:
        name = request["repositoryName"]
        if name not in self.names:
            raise _ApiError("RepositoryDoesNotExistException", f"{name} does not exist")
        if name not in self.paths:
            raise _ApiError("RepositoryDoesNotExistException", f"{name} has no objects in this stand-in")
        return RepositoryObjects(self.paths[name])

    def _GetCommit(self, request: dict[str, Any]) -> dict[str, Any]:
        objects = self._objects(request)
        commit_id = request["commitId"]
        if not _OBJECT_ID.match(commit_id):
            raise _ApiError("InvalidCommitIdException", f"{commit_id!r} is not a full commit id")
        try:
            return {"commit": objects.commit(commit_id)}
        except ObjectMissing:
            raise _ApiError("CommitIdDoesNotExistException", f"{commit_id} does not exist") from None

    def _GetDifferences(self, request: dict[str, Any]) -> dict[str, Any]:
        objects = self._objects(request)
        try:
            differences = objects.differences(
                request.get("beforeCommitSpecifier"), request["afterCommitSpecifier"]
            )
        except ObjectMissing as missing:
            raise _ApiError("CommitDoesNotExistException", f"{missing} does not exist") from None
        size = min(int(request.get("MaxResults") or self.page_size), self.page_size)
        start = _page_start(request.get("NextToken"), len(differences))
        more = start + size < len(differences)
        return {
            "differences": differences[start : start + size],
            **({"NextToken": str(start + size)} if more else {}),
        }

    def _GetBlob(self, request: dict[str, Any]) -> dict[str, Any]:
        objects = self._objects(request)
        blob_id = request["blobId"]
        if not _OBJECT_ID.match(blob_id):
            raise _ApiError("InvalidBlobIdException", f"{blob_id!r} is not a blob id")
        try:
            return {"content": objects.blob(blob_id)}
        except ObjectMissing:
            raise _ApiError("BlobIdDoesNotExistException", f"{blob_id} does not exist") from None

    def _TagResource(self, request: dict[str, Any]) -> dict[str, Any]:
        tags = self._arn(request["resourceArn"])
        for key, value in request["tags"].items():
            if not (1 <= len(key) <= 128 and _TAG_TEXT.match(key)) or not (
                len(value) <= 256 and _TAG_TEXT.match(value)
            ):
                raise _ApiError("InvalidSystemTagUsageException", f"invalid tag {key!r}")
        # Like CodeCommit, all or nothing: a call that would leave more than 50 tags writes none.
        if len(set(tags) | set(request["tags"])) > MAX_TAGS:
            raise _ApiError(
                "TooManyTagsException",
                "The maximum number of tags for an CodeCommit resource has been exceeded.",
            )
        tags.update(request["tags"])
        return {}

    def _UntagResource(self, request: dict[str, Any]) -> dict[str, Any]:
        tags = self._arn(request["resourceArn"])
        for key in request["tagKeys"]:
            tags.pop(key, None)
        return {}

    def _ListTagsForResource(self, request: dict[str, Any]) -> dict[str, Any]:
        items = sorted(self._arn(request["resourceArn"]).items())
        start = int(request.get("nextToken") or 0)
        page = dict(items[start : start + self.page_size])
        more = start + self.page_size < len(items)
        return {"tags": page, **({"nextToken": str(start + self.page_size)} if more else {})}


def _page_start(token: str | None, total: int) -> int:
    """The offset a continuation token stands for; a token the stand-in never gave is refused."""
    if token is None:
        return 0
    if not token.isdigit() or int(token) > total:
        raise _ApiError("InvalidContinuationTokenException", "invalid continuation token")
    return int(token)


class _ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _check_output(output: dict[str, Any], shape: Shape | None) -> None:
    """The response must be valid for the output shape and hold no key the real API would not send."""
    if shape is None:
        if output:
            raise StandInDriftError(f"operation has no output, stand-in returned {output}")
        return
    try:
        validate_parameters(output, shape)
    except ParamValidationError as exc:
        raise StandInDriftError(str(exc)) from exc
    _no_unknown_keys(output, shape)


def _no_unknown_keys(value: Any, shape: Shape) -> None:
    if shape.type_name == "structure":
        unknown = set(value) - set(shape.members)
        if unknown:
            raise StandInDriftError(f"{shape.name} has no member(s) {sorted(unknown)}")
        for key, item in value.items():
            _no_unknown_keys(item, shape.members[key])
    elif shape.type_name == "list":
        for item in value:
            _no_unknown_keys(item, shape.member)
    elif shape.type_name == "map":
        for item in value.values():
            _no_unknown_keys(item, shape.value)


def _wire(value: object) -> str | float:
    """JSON 1.1 carries blob members as base64 text and timestamps as epoch seconds."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


@dataclass
class CodeCommitServer:
    """The stand-in served over HTTP on loopback (AWS JSON 1.1 protocol)."""

    stand_in: CodeCommitStandIn
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        """The endpoint to give boto3."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_codecommit(
    *, region: str, account: str, stand_in: CodeCommitStandIn | None = None
) -> CodeCommitServer:
    """Start an HTTP front for a stand-in on a free loopback port."""
    state = stand_in or CodeCommitStandIn(region=region, account=account)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            target = self.headers.get("X-Amz-Target", "")
            length = int(self.headers.get("Content-Length") or 0)
            operation = target[len(_TARGET_PREFIX) :] if target.startswith(_TARGET_PREFIX) else ""
            if operation not in CodeCommitStandIn.OPERATIONS:
                status, body = (
                    400,
                    {"__type": "UnknownOperationException", "message": f"unsupported: {target}"},
                )
            else:
                status, body = state.call(operation, json.loads(self.rfile.read(length) or b"{}"))
            payload = json.dumps(body, default=_wire).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the timeline shows what matters

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="codecommit-stand-in", daemon=True)
    thread.start()
    return CodeCommitServer(state, server, thread)
