"""Update metrics: ``vpnsales_bot_updates_total{type,outcome}`` and
``vpnsales_bot_update_seconds{type}``.

Installed right inside the error translation, so it sees what the handlers raised before
it becomes the customer's message: ``ok``, ``unhandled`` (no handler took it),
``rejected`` (a domain error: the customer is told why) or ``error`` (anything else).
The labelled children are looked up once per update type and kept: an update costs two
dict lookups, a clock read and the two increments.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import Counter, Histogram

from vpnsales.domain.errors import DomainError
from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.metrics import Metrics

OK = "ok"
UNHANDLED_OUTCOME = "unhandled"
REJECTED = "rejected"
ERROR = "error"
OUTCOMES = (OK, UNHANDLED_OUTCOME, REJECTED, ERROR)


class _Series:
    """The children of one update type."""

    __slots__ = ("counts", "seconds")

    def __init__(self, metrics: Metrics, kind: str) -> None:
        self.counts: dict[str, Counter] = {o: metrics.bot_updates.labels(kind, o) for o in OUTCOMES}
        self.seconds: Histogram = metrics.bot_update_seconds.labels(kind)


class UpdateMetricsMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._metrics = metrics
        self._clock = clock
        self._series: dict[str, _Series] = {}

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        started = self._clock()
        outcome = ERROR
        try:
            result = await handler(event, data)
            outcome = UNHANDLED_OUTCOME if result is UNHANDLED else OK
            return result
        except DomainError:
            outcome = REJECTED
            raise
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:  # a double click: harmless
                outcome = OK
            raise
        finally:
            kind = _kind(event)
            series = self._series.get(kind)
            if series is None:
                series = self._series[kind] = _Series(self._metrics, kind)
            series.counts[outcome].inc()
            series.seconds.observe(self._clock() - started)


def _kind(update: Update) -> str:
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return "unknown"
