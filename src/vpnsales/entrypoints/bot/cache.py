"""A short-lived in-process cache of what the hot path needs about a customer.

``/start`` and menu buttons of a returning customer need the language, the banned flag
and the subscriptions' summary. Reading them on every update costs database round trips;
keeping them here for a few seconds makes the steady state free. Every change made
through this bot invalidates the entry at once; changes made elsewhere (a webhook, the
worker, the admin) show within ``ttl`` seconds.

With ``summaries`` (a ``CustomerSummaryReader``'s one-statement read), a customer who is
not cached costs one statement for both the view and the subscriptions' summary.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vpnsales.application.ports.readers import (
    CustomerReader,
    CustomerSummary,
    CustomerView,
    SubscriptionView,
)
from vpnsales.domain.ids import TelegramId


@dataclass(slots=True)
class _Entry:
    view: CustomerView | None
    at: float
    subscriptions: tuple[SubscriptionView, ...] | None = None
    subscriptions_at: float = 0.0
    hits: int = 0
    """Reads served from this entry since it was loaded."""


class CustomerDirectory:
    """Customer views by Telegram id, cached for ``ttl`` seconds (LRU-bounded)."""

    def __init__(
        self,
        reader: CustomerReader,
        *,
        ttl: float = 15.0,
        subscriptions_ttl: float = 60.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
        summaries: Callable[[TelegramId], Awaitable[CustomerSummary | None]] | None = None,
    ) -> None:
        self._reader = reader
        self._summaries = summaries
        self._ttl = ttl
        self._subs_ttl = subscriptions_ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    async def get(self, telegram_id: int) -> CustomerView | None:
        now = self._clock()
        entry = self._entries.get(telegram_id)
        if entry is not None and now - entry.at < self._ttl:
            entry.hits += 1
            return entry.view
        if self._summaries is not None:
            summary = await self._summaries(TelegramId(telegram_id))
            if summary is None:
                self._put(telegram_id, _Entry(view=None, at=now))
                return None
            self._put(telegram_id, _Entry(summary.customer, now, summary.subscriptions, now))
            return summary.customer
        view = await self._reader.by_telegram_id(TelegramId(telegram_id))
        fresh = _Entry(view=view, at=now)
        if entry is not None and view is not None:  # the summary has its own lifetime
            fresh.subscriptions = entry.subscriptions
            fresh.subscriptions_at = entry.subscriptions_at
        self._put(telegram_id, fresh)
        return view

    async def refresh(self, telegram_id: int) -> CustomerView | None:
        """The customer read from the database for this update (with ``summaries``,
        their subscriptions too, in one statement): for /start, where a customer who just
        paid through a webhook, or was changed by the worker or an admin in another
        process, must see it at once. An entry loaded by this update (no cache hit since)
        is not read twice."""
        entry = self._entries.get(telegram_id)
        if entry is not None and entry.hits == 0:
            return entry.view
        self.invalidate(telegram_id)
        return await self.get(telegram_id)

    def subscriptions(self, telegram_id: int) -> tuple[SubscriptionView, ...] | None:
        entry = self._entries.get(telegram_id)
        if entry is None or entry.subscriptions is None:
            return None
        if self._clock() - entry.subscriptions_at >= self._subs_ttl:
            return None
        return entry.subscriptions

    def remember_subscriptions(
        self, telegram_id: int, subscriptions: tuple[SubscriptionView, ...]
    ) -> None:
        entry = self._entries.get(telegram_id)
        if entry is not None:
            entry.subscriptions = subscriptions
            entry.subscriptions_at = self._clock()

    def invalidate(self, telegram_id: int) -> None:
        self._entries.pop(telegram_id, None)

    def clear(self) -> None:
        self._entries.clear()

    def _put(self, telegram_id: int, entry: _Entry) -> None:
        self._entries[telegram_id] = entry
        self._entries.move_to_end(telegram_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
