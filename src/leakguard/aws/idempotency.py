"""Powertools idempotency wiring shared by the consumers: one record per incident and function."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

#: EventBridge retries for up to 24 hours; a duplicate arriving later than this is still ignored.
RECORD_TTL_SECONDS = 7 * 24 * 3600


def persistence_layer(table_name: str, client: Any | None = None) -> DynamoDBPersistenceLayer:
    """The DynamoDB store (partition key ``id``, TTL attribute ``expiration``)."""
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


#: What identifies an incident for a consumer: its id and every claim a remediation acts on. A
#: re-emission of the same push repeats them all (one email, one lock, one reset), while an event that
#: reuses a real incident's id with other claims is a different record: a refused forgery can never
#: stand in for the real incident that arrives after it.
INCIDENT_CLAIMS = (
    "[incidentId, mode, repository.name, reference.fullName, reference.newCommitId, "
    "lastCleanCommitId, leakingCommits]"
)


def incident_config(jmespath: str = INCIDENT_CLAIMS) -> IdempotencyConfig:
    """Key on the incident id. Powertools prefixes the key with the function name, so the key is
    incident + function: notify, lock and reset each act once per incident."""
    return IdempotencyConfig(
        event_key_jmespath=jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=RECORD_TTL_SECONDS,
    )
