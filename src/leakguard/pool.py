"""A small ordered process pool: work done on every core, results handed back in submission order.

Detection is pure Python and CPU-bound, so threads would share one core. ``multiprocessing.Pool`` and
``concurrent.futures`` need POSIX semaphores, which AWS Lambda does not provide (no ``/dev/shm``); this
pool uses only forked processes and pipes, so the CLI and the inspector run the same code. Workers are
forked after the parent has built what they need (the compiled rules), so nothing is compiled twice and
nothing but the work and its results crosses a pipe.

Each worker holds one batch at a time: a worker blocked writing a large result can never deadlock with
a parent blocked writing it the next batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

#: vCPUs per MB of a Lambda function's memory: 1 vCPU at 1,769 MB, up to 6 at 10,240 MB.
LAMBDA_MB_PER_VCPU = 1769
LAMBDA_MAX_VCPUS = 6
#: Results a pool may hold, per worker, behind the oldest item still being worked on.
LOOKAHEAD = 8


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells, else the CPU count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def lambda_vcpus(memory_mb: int) -> int:
    """The vCPUs a Lambda function of ``memory_mb`` MB gets (never more than this machine has)."""
    share = max(1, min(LAMBDA_MAX_VCPUS, memory_mb // LAMBDA_MB_PER_VCPU))
    return min(share, available_cores())


def can_fork() -> bool:
    """True where worker processes can be forked (Linux, macOS); elsewhere work runs in-process."""
    return "fork" in multiprocessing.get_all_start_methods()


class OrderedPool(Generic[In, Out]):
    """Runs ``work`` over items in ``jobs`` forked processes; :meth:`map` yields results in order.

    ``work`` must be reachable from the forked child as it was in the parent (a closure is fine: the
    child is a copy of the parent). Items and results cross pipes, so they must be picklable. A worker
    that raises sends the exception back; the parent re-raises it at that item's place in the order.
    """

    def __init__(self, work: Callable[[In], Out], jobs: int) -> None:
        if jobs < 2 or not can_fork():
            raise ValueError("an OrderedPool needs at least 2 jobs and fork()")
        self._work = work
        self._jobs = jobs
        self._workers: list[tuple[Any, Connection]] = []

    def __enter__(self) -> OrderedPool[In, Out]:
        context = multiprocessing.get_context("fork")
        for _ in range(self._jobs):
            parent, child = context.Pipe(duplex=True)
            process = context.Process(target=_serve, args=(self._work, child), daemon=True)
            process.start()
            child.close()
            self._workers.append((process, parent))
        return self

    def __exit__(self, *exc: object) -> None:
        for _process, connection in self._workers:
            with contextlib.suppress(BrokenPipeError, OSError):
                connection.send(_STOP)
            connection.close()
        for process, _ in self._workers:
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - a worker stuck in C code
                process.kill()
                process.join()
        self._workers = []

    def map(self, items: Iterable[In]) -> Iterator[Out]:
        """``work(item)`` for every item, in the order of ``items``, computed ``jobs`` at a time.

        A worker gets its next item as soon as it is done (results wait in order here), unless the
        results waiting behind a slow item reach ``LOOKAHEAD`` per worker: then only that item is
        awaited, so memory stays bounded.
        """
        connections = [connection for _, connection in self._workers]
        idle = deque(range(len(connections)))
        busy: dict[int, int] = {}  # worker -> sequence number of its item
        done: dict[int, tuple[bool, Any]] = {}
        source = iter(items)
        sent = next_out = 0
        exhausted = False
        while True:
            while idle and not exhausted and sent - next_out < LOOKAHEAD * len(connections):
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                worker = idle.popleft()
                connections[worker].send(item)
                busy[worker] = sent
                sent += 1
            while next_out in done:
                ok, result = done.pop(next_out)
                next_out += 1
                if not ok:
                    raise result
                yield result
            if not busy:
                if exhausted:
                    return
                continue
            for ready in wait([connections[worker] for worker in busy]):
                worker = connections.index(ready)  # type: ignore[arg-type]
                try:
                    done[busy.pop(worker)] = connections[worker].recv()
                except EOFError:
                    raise RuntimeError("a scan worker process died") from None
                idle.append(worker)


class _Stop:
    """Tells a worker to exit."""


_STOP = _Stop()


def _serve(work: Callable[[Any], Any], connection: Connection) -> None:  # pragma: no cover - in a child
    """A worker's loop: receive an item, send back (True, result) or (False, exception)."""
    while True:
        try:
            item = connection.recv()
        except EOFError:
            break
        if isinstance(item, _Stop):
            break
        try:
            reply: tuple[bool, Any] = (True, work(item))
        except BaseException as exc:
            reply = (False, exc)
        try:
            connection.send(reply)
        except (BrokenPipeError, OSError):
            break
    connection.close()
    os._exit(0)
