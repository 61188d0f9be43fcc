"""The ordered process pool: every core, results in submission order, failures where they happened."""

import os

import pytest

from leakguard import pool
from leakguard.pool import OrderedPool, lambda_vcpus

pytestmark = pytest.mark.skipif(not pool.can_fork(), reason="needs fork()")


def _slow_square(value: int) -> int:
    # later items finish first: the pool must still hand results back in order
    import time

    time.sleep(0.002 * (value % 5))
    return value * value


def test_results_come_back_in_submission_order_from_several_processes():
    with OrderedPool(lambda v: (v, os.getpid()), 3) as workers:
        results = list(workers.map(range(200)))
    assert [v for v, _ in results] == list(range(200))
    assert len({pid for _, pid in results} - {os.getpid()}) > 1  # really other processes


def test_a_slow_item_does_not_reorder_faster_ones():
    with OrderedPool(_slow_square, 2) as workers:
        assert list(workers.map(range(50))) == [v * v for v in range(50)]


def test_a_failure_is_raised_at_its_place_in_the_order():
    def work(value: int) -> int:
        if value == 7:
            raise ValueError("item 7 is bad")
        return value

    seen = []
    with OrderedPool(work, 2) as workers, pytest.raises(ValueError, match="item 7 is bad"):
        seen.extend(workers.map(range(20)))
    assert seen == list(range(7))


def test_results_waiting_behind_a_slow_item_stay_bounded(monkeypatch):
    monkeypatch.setattr(pool, "LOOKAHEAD", 2)
    consumed = []

    def items():
        for value in range(100):
            consumed.append(value)
            yield value

    with OrderedPool(_slow_square, 2) as workers:
        for index, _ in enumerate(workers.map(items())):
            # never more than LOOKAHEAD results per worker taken ahead of the one being returned
            assert len(consumed) - index <= 2 * 2 + 1
    assert consumed == list(range(100))


def test_one_job_is_not_a_pool():
    with pytest.raises(ValueError, match="at least 2 jobs"):
        OrderedPool(abs, 1)


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"), [(128, 1), (1769, 1), (2048, 1), (3538, 2), (10240, 5), (20480, 6)]
)
def test_lambda_vcpus_follow_memory(monkeypatch, memory_mb, vcpus):
    monkeypatch.setattr(pool, "available_cores", lambda: 64)
    assert lambda_vcpus(memory_mb) == vcpus


def test_lambda_vcpus_never_exceed_the_cores_there_are(monkeypatch):
    monkeypatch.setattr(pool, "available_cores", lambda: 2)
    assert lambda_vcpus(10240) == 2
