"""A push too large for one invocation stops before Lambda's timeout and says so; nothing is recorded.

The Lambda context's remaining time is the only thing faked (it is Lambda's, not AWS's API).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.conftest import fake_aws_key
from tests.handlers.conftest import LambdaContext


@dataclass
class RunningOutContext(LambdaContext):
    """A context with plenty of time for ``calls`` asks of the remaining time, then 5 seconds left."""

    calls: int = 0
    asked: list[int] = field(default_factory=list)

    def get_remaining_time_in_millis(self) -> int:
        self.asked.append(1)
        return 600_000 if len(self.asked) <= self.calls else 5_000


def _base(pipeline):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    return dev


def test_a_scan_that_would_not_finish_in_time_stops_warns_and_records_nothing(pipeline, rng, capsys):
    dev = _base(pipeline)
    record = pipeline.record_items()
    for index in range(5):
        files = {f"f{index}.py": f"v = {index}\n"}
        if index == 3:
            files["conf.py"] = f"key = '{fake_aws_key(rng)}'\n"
        dev.commit(f"c{index}", files)
    event = pipeline.push(dev, "main", "refs/heads/main")
    capsys.readouterr()
    result = pipeline.inspector.handler(event, RunningOutContext(function_name="inspector", calls=3))

    # Powertools' idempotency asks the remaining time too: the scan got one or two commits in.
    assert result["status"] == "too_large" and 0 < result["commits"] < 5
    assert pipeline.security_events() == []  # no partial incident passed off as the push's
    ((subject, body),) = pipeline.mails()
    assert subject.startswith("[WARNING] push too large to scan in time in app main")
    assert f"{result['commits']} commit(s) were scanned" in body
    assert f"..{event['detail']['commitId']}" in body
    assert pipeline.record_items() == record  # nothing of the push is taken as scanned
    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
    ]
    assert any(m.get("PushesTooLargeToScan") == [1.0] for m in metrics)

    # The next push of the ref, with time enough, scans all of it: the leak in the unscanned part too.
    dev.commit("next", {"g.py": "w = 1\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "incident" and result["commits"] == 6
    assert len(pipeline.security_events()) == 1


def test_a_scan_with_time_enough_is_not_stopped(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    context = RunningOutContext(function_name="inspector", calls=1_000)
    result = pipeline.inspector.handler(pipeline.push(dev, "main", "refs/heads/main"), context)
    assert result["status"] == "incident" and context.asked  # the deadline was checked
