"""A stateful stand-in for the CodeCommit calls moto lacks, checked against botocore's service model.

It plugs into a real boto3 client through botocore's ``before-call`` event (the mechanism botocore's
own Stubber uses), so the code under test keeps its real client. Every request is validated against
the operation's input shape and every response against its output shape, and unknown output keys are
refused: if the stand-in and the real API drift apart, the tests fail instead of the deployment.
Tag keys and values are also checked against CodeCommit's documented character set, which botocore
does not enforce.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, Shape
from botocore.validate import validate_parameters

_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")


class FakeCodeCommit:
    """GetRepository, TagResource, UntagResource and ListTagsForResource over an in-memory state."""

    OPERATIONS = ("GetRepository", "TagResource", "UntagResource", "ListTagsForResource")

    def __init__(
        self, *, region: str = "us-east-1", account: str = "123456789012", page_size: int = 50
    ) -> None:
        self.region = region
        self.account = account
        self.page_size = page_size
        self.tags: dict[str, dict[str, str]] = {}
        self.names: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add_repository(self, name: str) -> str:
        """Create a repository; return its ARN."""
        arn = f"arn:aws:codecommit:{self.region}:{self.account}:{name}"
        self.names[name] = arn
        self.tags.setdefault(arn, {})
        return arn

    def install(self, client: Any) -> Any:
        """Serve ``client``'s calls of the four operations from this stand-in; return the client."""
        for operation in self.OPERATIONS:
            client.meta.events.register(f"before-call.codecommit.{operation}", self._handle)
        return client

    def _handle(
        self, model: OperationModel, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params["body"] or b"{}")
        validate_parameters(request, model.input_shape)
        self.calls.append((model.name, request))
        try:
            output = getattr(self, "_" + model.name)(request)
        except _ApiError as error:
            return AWSResponse(params["url"], 400, {}, None), {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        _check_output(output, model.output_shape)
        return AWSResponse(params["url"], 200, {}, None), {
            **output,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

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
            }
        }

    def _TagResource(self, request: dict[str, Any]) -> dict[str, Any]:
        tags = self._arn(request["resourceArn"])
        for key, value in request["tags"].items():
            if not (1 <= len(key) <= 128 and _TAG_TEXT.match(key)) or not (
                len(value) <= 256 and _TAG_TEXT.match(value)
            ):
                raise _ApiError("InvalidSystemTagUsageException", f"invalid tag {key!r}")
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


class _ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _check_output(output: dict[str, Any], shape: Shape | None) -> None:
    """The response must be valid for the output shape and hold no key the real API would not send."""
    if shape is None:
        assert output == {}, f"operation has no output, stand-in returned {output}"
        return
    validate_parameters(output, shape)
    _no_unknown_keys(output, shape)


def _no_unknown_keys(value: Any, shape: Shape) -> None:
    if shape.type_name == "structure":
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{shape.name} has no member(s) {sorted(unknown)}"
        for key, item in value.items():
            _no_unknown_keys(item, shape.members[key])
    elif shape.type_name == "list":
        for item in value:
            _no_unknown_keys(item, shape.member)
    elif shape.type_name == "map":
        for item in value.values():
            _no_unknown_keys(item, shape.value)
