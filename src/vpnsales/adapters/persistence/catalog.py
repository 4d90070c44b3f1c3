"""The tariff catalog for the customer-facing queries, kept in memory per process.

Every catalog screen and tariff card needs the tariffs, and they change only through the
admin panel or a seed: reading them once per ``ttl`` seconds instead of two statements
per update takes the catalog off the database. Freshness:

* a change committed in this process through a ``SqlTariffRepository`` built with
  ``on_change=catalog.invalidate`` empties the cache at commit (and a read that was
  running meanwhile is not kept);
* a change committed by another process (another replica, ``vpnsales seed``) shows
  within ``ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.tariffs import SqlTariffRepository
from vpnsales.application.ports.repositories import TariffCatalog
from vpnsales.domain.tariff import Tariff

DEFAULT_TTL = 5.0


class SqlTariffCatalog(TariffCatalog):
    """Implements ``TariffCatalog``: every tariff, read in a short session of its own and
    kept ``ttl`` seconds (``ttl=0``: read on every call, nothing kept)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._tariffs: tuple[Tariff, ...] | None = None
        self._read_at = -float("inf")
        self._generation = 0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Forget the tariffs (a change was committed); reads in flight are not kept."""
        self._generation += 1
        self._tariffs = None

    async def tariffs(self) -> Sequence[Tariff]:
        cached = self._fresh()
        if cached is not None:
            return cached
        if self._ttl <= 0:
            return await self._read()
        async with self._lock:  # one read for every update that missed at once
            cached = self._fresh()
            if cached is not None:
                return cached
            generation, started = self._generation, self._clock()
            tariffs = await self._read()
            if generation == self._generation:
                self._tariffs, self._read_at = tariffs, started
            return tariffs

    def _fresh(self) -> tuple[Tariff, ...] | None:
        if self._tariffs is not None and self._clock() - self._read_at < self._ttl:
            return self._tariffs
        return None

    async def _read(self) -> tuple[Tariff, ...]:
        async with self._sessions() as session:
            return tuple(await SqlTariffRepository(session).list(include_inactive=True))


__all__ = ["DEFAULT_TTL", "SqlTariffCatalog"]
