"""The rules a deployed function scans with: the published version when it is valid, else the last good.

The security team publishes rules as a new version of one S3 object (``leakguard rules publish``). Each
function that scans (inspector) or re-scans to verify an incident (reset, lock) asks
:meth:`ActiveRules.detector` for its detector: at cold start, and again whenever the last check is
older than ``refresh_seconds`` (consumers ask with ``max_age=0`` at every incident, so they confirm under
the version the inspector already runs). A check is a conditional GET (``If-None-Match`` with the ETag
last seen), so an unchanged version costs a 304 and no validation.

A new version is validated exactly as ``rules publish`` validates (:func:`leakguard.rules.check
.check_text`: schema, RE2 compilation, every example) and activated only if valid. If it is invalid, or
the object cannot be read, the function keeps scanning with the last good rules (the bundled rules if
none was ever good) and ``on_refused`` raises the alarm. A bad version can never stop the scan: nothing
in here raises once the fallback rules compiled.

The object having no current version (never published, or deleted) means the bundled rules, by design:
deleting the object is how an admin rolls back to the built-in set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from leakguard.aws.rules_object import RulesMissingError, RulesObject, RulesTooLargeError, RulesVersion
from leakguard.detect.engine import Detector
from leakguard.rules.check import check_text
from leakguard.rules.model import RuleSet

logger = logging.getLogger(__name__)

#: Default of ``RULES_REFRESH_SECONDS``: how stale a warm function's rules may get.
DEFAULT_REFRESH_SECONDS = 300


@dataclass(frozen=True)
class Refusal:
    """A rules version that was not activated, and what stays active instead.

    ``version`` is the S3 version id (or ETag) of the refused object; None when it could not even be
    read. ``problems`` name rules and fields, never a value a rule matches.
    """

    source: str
    version: str | None
    problems: tuple[str, ...]
    kept: str

    @property
    def key(self) -> tuple[str | None, str]:
        """What makes two refusals the same (alert once): the version, or the read error."""
        return (self.version, self.problems[0] if self.version is None else "")


#: Called with each refusal and whether it is the first of its kind in this sandbox.
RefusalHandler = Callable[[Refusal, bool], None]


class ActiveRules:
    """The active rule set of one function sandbox, refreshed from the published rules object."""

    def __init__(
        self,
        *,
        source: RulesObject | None,
        fallback: Callable[[], RuleSet],
        fallback_label: str,
        on_refused: RefusalHandler,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        make_detector: Callable[[RuleSet], Detector] = Detector,
    ) -> None:
        self.source = source
        self._fallback = fallback
        self._fallback_label = fallback_label
        self._on_refused = on_refused
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._make_detector = make_detector
        self._detector: Detector | None = None
        self._good: Detector | None = None  # the last good published version, if any
        self._bundled: Detector | None = None
        self.label = fallback_label
        self._etag: str | None = None  # of the last object read, good or refused
        self._refused: Refusal | None = None  # the current object's refusal, while it is current
        self._alerted: set[tuple[str | None, str]] = set()
        self._checked: float | None = None

    def detector(self, *, max_age: float | None = None) -> Detector:
        """The detector of the active rules, checking the published object first if the last check is
        older than ``max_age`` seconds (default ``refresh_seconds``)."""
        limit = self.refresh_seconds if max_age is None else max_age
        now = self._clock()
        if self._checked is None or now - self._checked >= limit:
            self._checked = now
            self.refresh()
        if self._detector is None:
            self._detector = self._bundled_detector()
        return self._detector

    def refresh(self) -> None:
        """Check the published object once; activate a new valid version, refuse anything else."""
        if self.source is None:
            return
        try:
            version = self.source.fetch(unless_etag=self._etag)
        except RulesMissingError:
            self._no_published_rules()
            return
        except RulesTooLargeError as exc:
            self._refuse(exc.label, (str(exc),))
            return
        except (ClientError, BotoCoreError) as exc:
            self._refuse(None, (f"cannot read {self.source.url}: {_aws_reason(exc)}",))
            return
        if version is None:  # 304: the version we already judged
            if self._refused is not None:
                self._report(self._refused)
            return
        self._etag = version.etag
        self._judge(version)

    def _judge(self, version: RulesVersion) -> None:
        assert self.source is not None  # noqa: S101 - only called after a fetch
        source = f"{self.source.url} version {version.label}"
        try:
            verdict = check_text(version.body, source=source)
            ruleset = verdict.ruleset if verdict.ok else None
            detector = self._make_detector(ruleset) if ruleset is not None else None
        except Exception as exc:  # a crafted rules file must not stop the scan
            logger.exception("validating rules %s failed unexpectedly", source)
            self._refuse(version.label, (f"validation failed unexpectedly: {type(exc).__name__}",))
            return
        if detector is None:
            self._refuse(version.label, verdict.problems)
            return
        self._detector = self._good = detector
        self._refused = None
        self.label = source
        logger.info("rules activated", extra={"rules": source, "ruleCount": len(detector.ruleset.rules)})

    def _no_published_rules(self) -> None:
        if self._etag is not None or self._good is not None:
            logger.warning("the rules object has no current version: the bundled rules are active again")
        self._etag, self._good, self._refused = None, None, None
        self._detector = self._bundled_detector()
        self.label = self._fallback_label

    def _refuse(self, version: str | None, problems: tuple[str, ...]) -> None:
        assert self.source is not None  # noqa: S101 - only called after a fetch
        if self._detector is None:
            self._detector = self._good or self._bundled_detector()
        refusal = Refusal(self.source.url, version, problems or ("invalid",), kept=self.label)
        self._refused = refusal if version is not None else None
        self._report(refusal)

    def _report(self, refusal: Refusal) -> None:
        first = refusal.key not in self._alerted
        self._alerted.add(refusal.key)
        logger.error(
            "rules version refused: the last good rules stay active",
            extra={"refused": refusal.version, "problem": refusal.problems[0], "active": refusal.kept},
        )
        try:
            self._on_refused(refusal, first)
        except Exception:  # an alert that fails must not stop the scan either
            logger.exception("could not raise the rules-refused alert")

    def _bundled_detector(self) -> Detector:
        if self._bundled is None:
            self._bundled = self._make_detector(self._fallback())
        return self._bundled


def _aws_reason(exc: Exception) -> str:
    """botocore's error as one short line: the code and message, no request ids or URLs with tokens."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip().rstrip(":")
    return type(exc).__name__
