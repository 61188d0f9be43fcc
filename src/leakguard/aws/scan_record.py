"""The durable record of what leakguard has scanned, per repository (DynamoDB).

One partition per repository (``repository``), items told apart by their sort key (``entry``):

- ``tip#<commit>``: a *scanned tip*. Every commit reachable from it was scanned by leakguard (or
  accepted as pre-existing history by a baseline). A push's exclusion set is these tips: what they
  reach is never scanned again. Tips that another recorded tip reaches add nothing and are pruned, so
  the partition holds about one tip per line of history that is not merged anywhere, not one per push.
- ``tag#<tag object>``: an annotated tag whose message was scanned. Read one by one (only for the
  tags a push touches), never listed.
- ``leak#<commit>``: a commit an incident named as leaking (``incident``), and, once a reset removed it
  from every ref, the incident whose reset did (``removedBy``). Coverage says the commit was scanned;
  this says what the scan found, so a push that brings a removed leak back (the developer's clone still
  holds it: their next push is a plain fast-forward of the reset branch) is an incident again instead of
  "already scanned". Never pruned by reachability: a recorded tip reaching a leak does not make it clean.
- ``baseline``: the repository is recorded (when, how). Without it the inspector meets the repository
  for the first time.

Items only ever hold commit and tag object ids, ref names and timestamps: never content, never a
secret. Writes are idempotent and commutative (a put of a tip, a delete of a tip some other recorded
tip reaches), so concurrent inspections of one push cannot corrupt the record: what it covers only grows.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from leakguard.errors import LeakguardError
from leakguard.git import validate_commit_id

PARTITION_KEY = "repository"
SORT_KEY = "entry"
TIP_PREFIX = "tip#"
TAG_PREFIX = "tag#"
LEAK_PREFIX = "leak#"
BASELINE_ENTRY = "baseline"
_BATCH = 25  # BatchWriteItem's limit
_BATCH_GET = 100  # BatchGetItem's limit
_RETRIES = 6


class ScanRecordError(LeakguardError):
    """DynamoDB kept refusing part of a write to the scan record."""


@dataclass(frozen=True)
class RecordedTip:
    """A commit (or annotated tag) whose whole history leakguard has scanned or accepted."""

    commit: str
    source: str = "scan"  # scan | baseline | first-sight | audit
    ref: str | None = None
    recorded_at: str = ""


@dataclass(frozen=True)
class RecordedLeak:
    """A leaking commit an incident named; ``removed_by``: the incident whose reset removed it."""

    commit: str
    incident: str
    removed_by: str | None = None


@dataclass(frozen=True)
class RepositoryRecord:
    """What the record holds for one repository."""

    repository: str
    tips: tuple[RecordedTip, ...] = ()
    baseline: dict[str, str] | None = field(default=None)
    leaks: tuple[RecordedLeak, ...] = ()

    @property
    def recorded(self) -> bool:
        """False only for a repository leakguard has never scanned nor baselined."""
        return bool(self.tips) or self.baseline is not None

    @property
    def tip_commits(self) -> list[str]:
        """The recorded tips' commit ids."""
        return [tip.commit for tip in self.tips]


def now() -> str:
    """UTC timestamp, second precision, as stored in the record."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ScanRecordTable:
    """Reads and writes the scan record; the only code that talks to its table."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self.client = client if client is not None else boto3.client("dynamodb")

    # -- reading ---------------------------------------------------------------------------------

    def load(self, repository: str) -> RepositoryRecord:
        """The repository's scanned tips and recorded leaks (two strongly consistent Queries, the second
        almost always empty) and, if no tip, its baseline."""
        tips = tuple(_tip(item) for item in self._query(repository, TIP_PREFIX))
        leaks = tuple(_leak(item) for item in self._query(repository, LEAK_PREFIX))
        baseline = None if tips else self.baseline(repository)
        return RepositoryRecord(repository=repository, tips=tips, baseline=baseline, leaks=leaks)

    def _query(self, repository: str, prefix: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": repository}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def baseline(self, repository: str) -> dict[str, str] | None:
        """The repository's baseline marker, if it has one."""
        item = self.client.get_item(
            TableName=self.table_name, Key=_key(repository, BASELINE_ENTRY), ConsistentRead=True
        ).get("Item")
        return {k: v["S"] for k, v in item.items() if "S" in v} if item else None

    def scanned_tags(self, repository: str, tag_objects: Iterable[str]) -> set[str]:
        """Which of ``tag_objects`` already had their message scanned (BatchGetItem)."""
        wanted = sorted(set(tag_objects))
        found: set[str] = set()
        for start in range(0, len(wanted), _BATCH_GET):
            keys = [_key(repository, TAG_PREFIX + obj) for obj in wanted[start : start + _BATCH_GET]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(_RETRIES):
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    found.add(item[SORT_KEY]["S"][len(TAG_PREFIX) :])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05)
            else:
                raise ScanRecordError(f"scan record of {repository}: tag lookups kept being throttled")
        return found

    # -- writing ---------------------------------------------------------------------------------

    def put_tips(self, repository: str, tips: Iterable[RecordedTip]) -> None:
        """Record scanned tips (and annotated tags, ``RecordedTip`` with ``source="tag"``)."""
        stamp = now()
        requests = []
        for tip in tips:
            prefix = TAG_PREFIX if tip.source == "tag" else TIP_PREFIX
            item = {
                **_key(repository, prefix + validate_commit_id(tip.commit)),
                "commit": {"S": tip.commit},
                "source": {"S": tip.source},
                "recordedAt": {"S": tip.recorded_at or stamp},
            }
            if tip.ref:
                item["ref"] = {"S": tip.ref[:1024]}
            requests.append({"PutRequest": {"Item": item}})
        self._batch_write(repository, requests)

    def delete_tips(self, repository: str, commits: Iterable[str]) -> None:
        """Forget tips that other recorded tips reach (they add nothing to the exclusion set)."""
        requests = [
            {"DeleteRequest": {"Key": _key(repository, TIP_PREFIX + validate_commit_id(c))}}
            for c in sorted(set(commits))
        ]
        self._batch_write(repository, requests)

    def put_leaks(self, repository: str, commits: Iterable[str], *, incident: str) -> None:
        """Record the leaking commits of an emitted incident; a commit recorded before (a removed leak
        pushed back) starts over: named by this incident, not removed yet."""
        stamp = now()
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **_key(repository, LEAK_PREFIX + validate_commit_id(commit)),
                        "commit": {"S": commit},
                        "incident": {"S": incident},
                        "recordedAt": {"S": stamp},
                    }
                }
            }
            for commit in sorted(set(commits))
        ]
        self._batch_write(repository, requests)

    def mark_removed(self, repository: str, commits: Iterable[str], *, incident: str) -> None:
        """Say that ``incident``'s reset removed ``commits`` from every ref (one UpdateItem each: the
        reset function's only access to the record)."""
        for commit in sorted(set(commits)):
            self.client.update_item(
                TableName=self.table_name,
                Key=_key(repository, LEAK_PREFIX + validate_commit_id(commit)),
                UpdateExpression="SET #commit = :commit, removedBy = :by, removedAt = :at",
                ExpressionAttributeNames={"#commit": "commit"},
                ExpressionAttributeValues={
                    ":commit": {"S": commit},
                    ":by": {"S": incident},
                    ":at": {"S": now()},
                },
            )

    def mark_baseline(self, repository: str, *, source: str, tips: int, by: str | None = None) -> bool:
        """Write the baseline marker unless one exists; False when another writer was first."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_baseline_item(repository, source=source, tips=tips, by=by),
                ConditionExpression="attribute_not_exists(#sk)",
                ExpressionAttributeNames={"#sk": SORT_KEY},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def replace_baseline(self, repository: str, *, source: str, tips: int, by: str | None = None) -> None:
        """Write the baseline marker whatever was there (an admin re-baselining on purpose)."""
        self.client.put_item(
            TableName=self.table_name, Item=_baseline_item(repository, source=source, tips=tips, by=by)
        )

    def _batch_write(self, repository: str, requests: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH):
            pending: dict[str, Any] = {self.table_name: list(requests[start : start + _BATCH])}
            for attempt in range(_RETRIES):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise ScanRecordError(f"scan record of {repository}: writes kept being throttled")


def _key(repository: str, entry: str) -> dict[str, dict[str, str]]:
    return {PARTITION_KEY: {"S": repository}, SORT_KEY: {"S": entry}}


def _baseline_item(repository: str, *, source: str, tips: int, by: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(repository, BASELINE_ENTRY),
        "source": {"S": source},
        "recordedAt": {"S": now()},
        "tips": {"S": str(tips)},
    }
    if by:
        item["by"] = {"S": by[:2048]}
    return item


def _leak(item: dict[str, Any]) -> RecordedLeak:
    return RecordedLeak(
        commit=item["commit"]["S"],
        incident=item.get("incident", {}).get("S", ""),
        removed_by=item.get("removedBy", {}).get("S"),
    )


def _tip(item: dict[str, Any]) -> RecordedTip:
    return RecordedTip(
        commit=item["commit"]["S"],
        source=item.get("source", {}).get("S", "scan"),
        ref=item.get("ref", {}).get("S"),
        recorded_at=item.get("recordedAt", {}).get("S", ""),
    )
