"""An in-process cache of what the hot path needs about a customer.

``/start`` and menu buttons of a returning customer need the language, the banned flag
and the subscriptions' summary. Reading them on every update costs database round trips;
keeping them here makes the steady state free. Every change made through this bot
invalidates the entry at once (``invalidate``). Changes made elsewhere (a webhook, the
worker, the admin, ``vpnsales seed``) reach it in one of two modes:

* **unwatched** (no change feed, or its connection is down): an entry lives ``ttl``
  seconds (the subscriptions' summary ``subscriptions_ttl``), so another process's change
  shows within that time; ``refresh`` (``/start``, where a customer checks their status)
  reads the database again.
* **watched** (``watching(True)``, told by ``adapters.persistence.changes``: PostgreSQL
  notifies every committed change of a customer's row, subscriptions or accesses):
  ``invalidate_customer`` drops that customer's entry as soon as the change is committed,
  so entries live ``watched_ttl`` seconds and ``refresh`` serves a held entry — a warm
  ``/start`` costs no SQL. Subscriptions handed in by ``remember_subscriptions`` (read
  outside the directory) keep ``subscriptions_ttl``.

Changing mode (either way) drops everything: notifications may have been missed. A read
overtaken by a change — an invalidation of that customer, or a clear, while it was in
flight — is returned but not kept, so it cannot outlive the change it did not see.

With ``summaries`` (a ``CustomerSummaryReader``'s one-statement read), a customer who is
not cached costs one statement for both the view and the subscriptions' summary.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from vpnsales.application.ports.readers import (
    CustomerReader,
    CustomerSummary,
    CustomerView,
    SubscriptionView,
)
from vpnsales.domain.ids import CustomerId, TelegramId


@dataclass(slots=True)
class _Entry:
    view: CustomerView | None
    at: float
    subscriptions: tuple[SubscriptionView, ...] | None = None
    subscriptions_at: float = 0.0
    subscriptions_followed: bool = False
    """Read with the view (so the change feed covers them), not remembered from outside."""
    hits: int = 0
    """Reads served from this entry since it was loaded."""
    strangers: int = 0
    """For a stranger (no view): the directory's ``_strangers`` when it was loaded."""


class CustomerDirectory:
    """Customer views by Telegram id, cached (LRU-bounded) for ``ttl`` seconds, or for
    ``watched_ttl`` seconds while a change feed is watching (see the module)."""

    def __init__(
        self,
        reader: CustomerReader,
        *,
        ttl: float = 15.0,
        subscriptions_ttl: float = 60.0,
        watched_ttl: float = 600.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
        summaries: Callable[[TelegramId], Awaitable[CustomerSummary | None]] | None = None,
    ) -> None:
        self._reader = reader
        self._summaries = summaries
        self._ttl = ttl
        self._subs_ttl = subscriptions_ttl
        self._watched_ttl = watched_ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._by_customer: dict[UUID, int] = {}
        """Telegram id of every held customer (the feed names customers by their id)."""
        self._watched = False
        # Overtaken reads: every invalidation bumps ``_generation``; a read started at
        # generation g is kept only if nothing it may have read changed after g.
        self._generation = 0
        self._cleared = 0
        """Generation of the last ``clear``."""
        self._strangers = 0
        """Bumped by a change of a customer not held (a stranger may have become them)."""
        self._reads = 0
        """Reads in flight; ``_changed`` is kept only while there are some."""
        self._changed: dict[int | UUID, int] = {}
        """Telegram or customer id → generation of its last invalidation."""

    @property
    def watched(self) -> bool:
        return self._watched

    def _fresh(self, entry: _Entry, now: float) -> bool:
        if not self._watched:
            return now - entry.at < self._ttl
        if entry.view is None and entry.strangers != self._strangers:
            return False
        return now - entry.at < self._watched_ttl

    async def get(self, telegram_id: int) -> CustomerView | None:
        now = self._clock()
        entry = self._entries.get(telegram_id)
        if entry is not None and self._fresh(entry, now):
            entry.hits += 1
            return entry.view
        started, strangers = self._generation, self._strangers
        self._reads += 1
        try:
            fresh = await self._load(telegram_id, entry, now)
            keep = self._unchanged(started, strangers, telegram_id, fresh.view)
        finally:
            self._reads -= 1
            if not self._reads:
                self._changed.clear()
        if keep:
            self._put(telegram_id, fresh)
        return fresh.view

    async def _load(self, telegram_id: int, entry: _Entry | None, now: float) -> _Entry:
        if self._summaries is not None:
            summary = await self._summaries(TelegramId(telegram_id))
            if summary is None:
                return _Entry(view=None, at=now, strangers=self._strangers)
            return _Entry(summary.customer, now, summary.subscriptions, now, True)
        view = await self._reader.by_telegram_id(TelegramId(telegram_id))
        fresh = _Entry(view=view, at=now, strangers=self._strangers)
        if entry is not None and view is not None:  # the summary has its own lifetime
            fresh.subscriptions = entry.subscriptions
            fresh.subscriptions_at = entry.subscriptions_at
        return fresh

    def _unchanged(
        self, started: int, strangers: int, telegram_id: int, view: CustomerView | None
    ) -> bool:
        """Nothing a read started at generation ``started`` gave may have changed since."""
        if self._generation == started:
            return True
        if self._cleared > started or self._changed.get(telegram_id, started) > started:
            return False
        if view is None:
            return self._strangers == strangers
        return self._changed.get(view.customer_id, started) <= started

    async def refresh(self, telegram_id: int) -> CustomerView | None:
        """The customer as they are now, for this update (with ``summaries``, their
        subscriptions too, in one statement): for /start, where a customer who just paid
        through a webhook, or was changed by the worker or an admin in another process,
        must see it at once. Unwatched, that is a read from the database; watched, a
        held entry is current (the feed drops it on any change) and is served as is. An
        entry loaded by this update (no cache hit since) is not read twice."""
        entry = self._entries.get(telegram_id)
        if entry is not None and entry.hits == 0:
            return entry.view
        if not self._watched:
            self.invalidate(telegram_id)
        return await self.get(telegram_id)

    def subscriptions(self, telegram_id: int) -> tuple[SubscriptionView, ...] | None:
        entry = self._entries.get(telegram_id)
        if entry is None or entry.subscriptions is None:
            return None
        followed = self._watched and entry.subscriptions_followed
        ttl = self._watched_ttl if followed else self._subs_ttl
        if self._clock() - entry.subscriptions_at >= ttl:
            return None
        return entry.subscriptions

    def remember_subscriptions(
        self, telegram_id: int, subscriptions: tuple[SubscriptionView, ...]
    ) -> None:
        entry = self._entries.get(telegram_id)
        if entry is not None:
            entry.subscriptions = subscriptions
            entry.subscriptions_at = self._clock()
            entry.subscriptions_followed = False

    def invalidate(self, telegram_id: int) -> None:
        """Drop the customer with this Telegram id (this process changed them)."""
        self._generation += 1
        entry = self._entries.pop(telegram_id, None)
        if entry is not None and entry.view is not None:
            self._by_customer.pop(entry.view.customer_id, None)
        if self._reads:
            self._changed[telegram_id] = self._generation

    def invalidate_customer(self, customer_id: CustomerId) -> None:
        """Drop this customer (the change feed: a change was committed somewhere)."""
        self._generation += 1
        telegram_id = self._by_customer.pop(customer_id, None)
        if telegram_id is None:
            self._strangers += 1
        else:
            self._entries.pop(telegram_id, None)
        if self._reads:
            self._changed[customer_id] = self._generation

    def watching(self, watched: bool) -> None:
        """The change feed (re)connected (``True``) or lost its connection (``False``):
        either way what is held may have missed changes, and is dropped."""
        self._watched = watched
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._cleared = self._generation
        self._strangers += 1
        self._entries.clear()
        self._by_customer.clear()

    def _put(self, telegram_id: int, entry: _Entry) -> None:
        old = self._entries.get(telegram_id)
        if old is not None and old.view is not None:
            self._by_customer.pop(old.view.customer_id, None)
        self._entries[telegram_id] = entry
        self._entries.move_to_end(telegram_id)
        if entry.view is not None:
            self._by_customer[entry.view.customer_id] = telegram_id
        while len(self._entries) > self._max:
            _, evicted = self._entries.popitem(last=False)
            if evicted.view is not None:
                self._by_customer.pop(evicted.view.customer_id, None)
