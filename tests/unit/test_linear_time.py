"""A crafted file must cost time linear in its size: measured by Python steps, never by the clock.

The engine's C-level work (RE2) is linear by construction; what can go quadratic is Python work per hit
(de-duplication, filters, windows). So these tests count the Python lines executed while scanning a
hostile line of size n and of size 4n: linear work gives a ratio near 4, quadratic work near 16.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from leakguard.detect.engine import Detector
from leakguard.rules import load_rules


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules())


def python_steps(work: Callable[[], Any]) -> int:
    """How many Python lines ``work`` executes (every frame, every module)."""
    steps = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return steps


HOSTILE_UNITS = {
    "password assignments": "pass=Xy9#kQ2!;",
    "quoted high-entropy tokens": '"Zq8Xr2Lm9Kt4Wp7NvB3cD5fG",',
    "secret keywords without values": "token secret password api_key ",
    "provider prefixes": "ghp_ AKIA xoxb- sk_live_ ",
    "distinct passwords": None,  # a different value each time: no cache can help
}


def _line(name: str, unit: str | None, size: int) -> str:
    if unit is not None:
        return unit * (size // len(unit))
    return "".join(f"pwd='Q{i:07d}#xZ!';" for i in range(size // 17))


@pytest.mark.parametrize("name", sorted(HOSTILE_UNITS))
def test_scanning_a_hostile_line_costs_linear_python_work(detector: Detector, name: str) -> None:
    unit = HOSTILE_UNITS[name]
    small = python_steps(lambda: detector.scan_text(_line(name, unit, 6_000), path="x.env"))
    large = python_steps(lambda: detector.scan_text(_line(name, unit, 24_000), path="x.env"))
    assert large / small < 6, (name, small, large)


def test_a_value_repeated_along_a_line_is_one_finding(detector: Detector) -> None:
    findings = detector.scan_text("pass=Xy9#kQ2!;" * 500, path="x.env")
    assert len(findings) == 1
