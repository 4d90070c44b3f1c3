"""Per-app state the handlers share: configuration, metrics, in-flight fetches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from vpnsales.application.ports.payments import ProviderPayment
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.web.config import WebConfig

__all__ = ["STATE_KEY", "SingleFlight", "WebState"]


class SingleFlight:
    """Concurrent identical provider fetches share one call.

    Keyed by (provider, payment id, event): a delivery joins a fetch that a delivery of
    the *same* event started, which the provider sent only once the payment was in that
    state — so the shared answer is as fresh as a new call would be. Duplicates then
    still each run the use case: exactly-once is the database's guarantee, not this.
    """

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str, str], asyncio.Future[ProviderPayment]] = {}

    async def run(
        self, key: tuple[str, str, str], call: Callable[[], Awaitable[ProviderPayment]]
    ) -> ProviderPayment:
        future = self._calls.get(key)
        if future is None:
            future = asyncio.ensure_future(call())
            self._calls[key] = future
            future.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(future)

    def _forget(self, key: tuple[str, str, str], done: asyncio.Future[ProviderPayment]) -> None:
        self._calls.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have gone away


@dataclass(slots=True)
class WebState:
    config: WebConfig
    metrics: Metrics
    """Replaced at start-up by the container's ``Metrics`` when it provides one."""
    fetches: SingleFlight = field(default_factory=SingleFlight)


STATE_KEY = web.AppKey("vpnsales_web", WebState)
