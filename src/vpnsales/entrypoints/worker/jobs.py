"""Running one job: single-flight, timing, a one-line summary and metrics.

Every job ends with exactly one log line (logger ``vpnsales.worker.jobs``)::

    job expire claimed=12 done=12 failed=0 duration=0.041s

(JSON logs carry ``job``, ``claimed``, ``done``, ``failed``, ``duration_ms`` as fields),
and updates ``vpnsales_job_runs_total``, ``vpnsales_job_items_total`` and
``vpnsales_job_seconds``. An idle run (nothing claimed) logs at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from vpnsales.adapters.tasks import DrainSignal, RedisJobLock
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.entrypoints.logs import log_context
from vpnsales.entrypoints.metrics import Metrics

log = logging.getLogger("vpnsales.worker.jobs")

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Tally:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    queued_work: bool = False
    """The run staged outbox messages (the drain is kicked right after)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerTuning:
    kicked_drain_batch: int = 1
    """Messages a drain claims at once. One: a drain runs its batch one by one, so a
    batch would make its last message wait for all the others (head-of-line: ten
    provisionings at ~0.1 s of panel calls each held the tenth for a second); many
    drains run side by side instead (each kick after a commit queues one), each taking
    the oldest due message when it is free. A claim is one short statement."""
    drain_max_batches: int = 20
    """A drain that hit this many full batches re-kicks itself and ends (fairness)."""
    lock_ttl: timedelta = timedelta(minutes=10)
    """Upper bound of a periodic job's single-flight lock (a dead worker's lock expires)."""
    broadcast_batches: int = 20
    """Broadcast batches per run (the next tick resumes)."""
    wake_up_horizon: timedelta = timedelta(minutes=1)
    """Outbox messages falling due within this (a deferred notification, a retry after
    its backoff) wake the worker up on time; later ones wait for the periodic drain."""


WAKE_UP_SLACK = 0.05
"""Seconds after a message's due time the alarm fires (the claim must find it due)."""


class DrainAlarm:
    """Kicks the outbox drain when the next pending message falls due: one timer per
    process, at the earliest time asked for. Best effort: a timer lost with its process
    costs only latency, the periodic drain still runs."""

    def __init__(self, kicker: TaskKicker, *, horizon: timedelta) -> None:
        self._kicker = kicker
        self._horizon = horizon.total_seconds()
        self._handle: asyncio.TimerHandle | None = None
        self._kicks: set[asyncio.Task[None]] = set()

    def wake_in(self, seconds: float) -> None:
        """Kick a drain ``seconds`` from now (unless an earlier wake-up is set)."""
        if seconds > self._horizon:
            return
        loop = asyncio.get_running_loop()
        at = loop.time() + max(0.0, seconds) + WAKE_UP_SLACK
        if self._handle is not None:
            if self._handle.when() <= at:
                return
            self._handle.cancel()
        self._handle = loop.call_at(at, self._fire)

    @property
    def pending(self) -> float | None:
        """The event-loop time of the wake-up set, if any."""
        return self._handle.when() if self._handle is not None else None

    def _fire(self) -> None:
        self._handle = None
        task = asyncio.create_task(self._kicker.kick())  # never raises (best effort)
        self._kicks.add(task)
        task.add_done_callback(self._kicks.discard)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


@dataclass(slots=True, kw_only=True)
class JobRuntime:
    """Process-wide things every job needs (APP scope)."""

    metrics: Metrics
    locks: RedisJobLock
    signal: DrainSignal
    kicker: TaskKicker
    tuning: WorkerTuning = field(default_factory=WorkerTuning)
    alarm: DrainAlarm | None = None
    """Wakes the drain for messages due soon (the worker process has one)."""


async def run_job(
    runtime: JobRuntime,
    job: str,
    call: Callable[[], Awaitable[R]],
    tally: Callable[[R], Tally],
    *,
    single_flight: bool = True,
    lock_name: str | None = None,
) -> R | None:
    """Run ``call`` once as job ``job``. Errors are logged and counted, never raised:
    the job runs again at its next tick (and the queue does not retry it)."""
    metrics = runtime.metrics
    with log_context(job=job):
        if single_flight:
            async with runtime.locks.hold(lock_name or job, runtime.tuning.lock_ttl) as held:
                if not held:
                    metrics.job_runs.labels(job, "skipped").inc()
                    log.debug("job %s skipped: another run is in progress", job)
                    return None
                return await _timed(runtime, job, call, tally)
        return await _timed(runtime, job, call, tally)


async def _timed(
    runtime: JobRuntime, job: str, call: Callable[[], Awaitable[R]], tally: Callable[[R], Tally]
) -> R | None:
    metrics = runtime.metrics
    started = time.perf_counter()
    result: R | None = None
    error: BaseException | None = None
    try:
        result = await call()
    except Exception as exc:
        error = exc
    duration = time.perf_counter() - started
    counts = tally(result) if result is not None else Tally(failed=1 if error else 0)
    metrics.job_seconds.labels(job).observe(duration)
    metrics.job_runs.labels(job, "error" if error else "ok").inc()
    for state, value in (("claimed", counts.claimed), ("done", counts.done)):
        if value:
            metrics.job_items.labels(job, state).inc(value)
    if counts.failed:
        metrics.job_items.labels(job, "failed").inc(counts.failed)
    fields = {  # ``job`` itself comes from the log context
        "claimed": counts.claimed,
        "done": counts.done,
        "failed": counts.failed,
        "duration_ms": round(duration * 1000, 1),
    }
    if error is not None:
        log.error(
            "job %s claimed=%d done=%d failed=%d duration=%.3fs error=%s: %s",
            job,
            counts.claimed,
            counts.done,
            counts.failed,
            duration,
            type(error).__name__,
            error,
            exc_info=error,
            extra={"fields": {**fields, "error": type(error).__name__}},
        )
        return None
    level = logging.INFO if counts.claimed or counts.done or counts.failed else logging.DEBUG
    log.log(
        level,
        "job %s claimed=%d done=%d failed=%d duration=%.3fs",
        job,
        counts.claimed,
        counts.done,
        counts.failed,
        duration,
        extra={"fields": fields},
    )
    if counts.queued_work:
        await runtime.kicker.kick()  # best effort by contract: never raises
    return result
