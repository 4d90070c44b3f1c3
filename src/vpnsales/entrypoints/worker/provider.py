"""dishka bindings for processes that use the task queue.

``TaskQueueProvider`` binds the ``TaskKicker`` port to taskiq (overriding the
composition root's no-op kicker) and provides what the worker's jobs share
(``JobRuntime``). The bot and web processes use it too, for the kicker alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from taskiq import AsyncBroker

from vpnsales.adapters.tasks import DrainSignal, Namespace, RedisJobLock, TaskiqTaskKicker
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.worker.broker import namespace_of
from vpnsales.entrypoints.worker.jobs import DrainAlarm, JobRuntime, WorkerTuning


class TaskQueueProvider(Provider):
    scope = Scope.APP

    def __init__(
        self,
        broker: AsyncBroker,
        *,
        namespace: Namespace | None = None,
        metrics: Metrics | None = None,
        tuning: WorkerTuning | None = None,
    ) -> None:
        super().__init__()
        self._broker = broker
        self._namespace = namespace
        self._metrics = metrics
        self._tuning = tuning or WorkerTuning()

    @provide
    def metrics(self) -> Metrics:
        return self._metrics if self._metrics is not None else Metrics()

    @provide
    def namespace(self, settings: Settings) -> Namespace:
        """``namespace`` if given, else the shop's ``redis.namespace``."""
        return namespace_of(settings, self._namespace)

    @provide
    def drain_signal(self, redis: Redis, namespace: Namespace) -> DrainSignal:
        return DrainSignal(redis, namespace)

    @provide
    def job_locks(self, redis: Redis, namespace: Namespace) -> RedisJobLock:
        return RedisJobLock(redis, namespace)

    @provide
    def kicker(self, signal: DrainSignal, metrics: Metrics) -> TaskKicker:
        counter = metrics.outbox_kicks
        return TaskiqTaskKicker(
            self._broker, signal, observe=lambda result: counter.labels(result).inc()
        )

    @provide
    def job_runtime(
        self, metrics: Metrics, locks: RedisJobLock, signal: DrainSignal, kicker: TaskKicker
    ) -> Iterator[JobRuntime]:
        alarm = DrainAlarm(kicker, horizon=self._tuning.wake_up_horizon)
        yield JobRuntime(
            metrics=metrics,
            locks=locks,
            signal=signal,
            kicker=kicker,
            tuning=self._tuning,
            alarm=alarm,
        )
        alarm.close()
