"""The CodeCommit stand-in over HTTP (as local mode serves it) and its guard against API drift."""

import json
import urllib.request

import boto3
import pytest

from leakguard.local.codecommit import CodeCommitStandIn, StandInDriftError, serve_codecommit


@pytest.fixture
def server():
    running = serve_codecommit(region="eu-west-1", account="111122223333")
    yield running
    running.stop()


def _client(url):
    return boto3.client(
        "codecommit",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_tags_round_trip_through_a_real_boto3_client(server):
    arn = server.stand_in.add_repository("payments")
    client = _client(server.url)
    client.tag_resource(resourceArn=arn, tags={"RepoState": "locked"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"RepoState": "locked"}
    client.untag_resource(resourceArn=arn, tagKeys=["RepoState"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    assert client.get_repository(repositoryName="payments")["repositoryMetadata"]["Arn"] == arn


def test_api_errors_come_back_as_botocore_exceptions(server):
    client = _client(server.url)
    with pytest.raises(client.exceptions.RepositoryDoesNotExistException):
        client.get_repository(repositoryName="nope")


def test_requests_are_validated_against_the_service_model(server):
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        server.url,
        data=json.dumps({"resourceArn": 42}).encode(),
        method="POST",
        headers={
            "X-Amz-Target": "CodeCommit_20150413.ListTagsForResource",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - loopback test server
    assert error.value.code == 400
    assert json.loads(error.value.read())["__type"] == "ValidationException"


def test_a_response_the_real_api_would_not_send_is_refused():
    stand_in = CodeCommitStandIn()
    stand_in.add_repository("payments")
    stand_in._GetRepository = lambda request: {"repositoryMetadata": {"repositoryName": "x", "colour": "red"}}
    with pytest.raises(StandInDriftError, match="colour"):
        stand_in.call("GetRepository", {"repositoryName": "payments"})
