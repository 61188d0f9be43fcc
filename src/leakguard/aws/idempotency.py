"""Powertools idempotency wiring shared by the consumers: one record per incident and function."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

#: EventBridge retries for up to 24 hours; a duplicate arriving later than this is still ignored.
RECORD_TTL_SECONDS = 7 * 24 * 3600


def persistence_layer(table_name: str, client: Any | None = None) -> DynamoDBPersistenceLayer:
    """The DynamoDB store (partition key ``id``, TTL attribute ``expiration``)."""
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


#: An incident for a consumer: its id (derived from the repository and the leaking objects, so the
#: sibling events of one push share it) and what that id promises. A refusal is never recorded
#: (the handlers raise it past the idempotency layer), so a forged event reusing a real id cannot
#: make the real incident look done.
INCIDENT_KEY = "[incidentId, mode, repository.name, sort(leakingCommits)]"


def incident_config(jmespath: str = INCIDENT_KEY) -> IdempotencyConfig:
    """Key on the incident id. Powertools prefixes the key with the function name, so the key is
    incident + function: notify, lock and reset each act once per incident."""
    return IdempotencyConfig(
        event_key_jmespath=jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=RECORD_TTL_SECONDS,
    )
