"""``SqlTariffCatalog``: the tariffs kept per process, emptied by this process's commits,
refreshed after ``ttl`` for changes made elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import SqlTariffCatalog, SqlTariffRepository
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.builders import a_tariff
from vpnsales.testing.clock import ManualTimer


class CountingSessions:
    """A session factory that counts sessions (one per catalog read) and can run
    something while a read is in flight."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.opened = 0
        self.during_read: Callable[[], None] | None = None

    def __call__(self) -> Any:
        self.opened += 1
        if self.during_read is not None:
            self.during_read()
            self.during_read = None
        return self._sessions()


async def write(
    sessions: async_sessionmaker[AsyncSession],
    tariff: Tariff,
    *,
    catalog: SqlTariffCatalog | None = None,
    commit: bool = True,
) -> None:
    """Add or save ``tariff``: through this process's catalog-aware repository when
    ``catalog`` is given, as another process would otherwise."""
    async with sessions() as session:
        repo = SqlTariffRepository(
            session, on_change=catalog.invalidate if catalog is not None else None
        )
        if await repo.get(tariff.id) is None:
            await repo.add(tariff)
        else:
            await repo.save(tariff)
        if commit:
            await session.commit()


def codes(tariffs: Any) -> list[str]:
    return [t.code for t in tariffs]


async def test_every_tariff_in_display_order_inactive_ones_included(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    await write(clean_db, a_tariff(code="pro", order=2))
    await write(clean_db, a_tariff(code="basic", order=1))
    await write(clean_db, a_tariff(code="old", order=0, active=False))

    catalog = SqlTariffCatalog(clean_db)

    assert codes(await catalog.tariffs()) == ["old", "basic", "pro"]


async def test_read_once_per_ttl(clean_db: async_sessionmaker[AsyncSession]) -> None:
    await write(clean_db, a_tariff(code="basic"))
    sessions, clock = CountingSessions(clean_db), ManualTimer(100.0)
    catalog = SqlTariffCatalog(sessions, ttl=5, clock=clock)  # type: ignore[arg-type]

    for _ in range(3):
        await catalog.tariffs()
    clock.now += 5
    await catalog.tariffs()

    assert sessions.opened == 2


async def test_another_process_change_shows_after_the_ttl(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    basic = a_tariff(code="basic")
    await write(clean_db, basic)
    clock = ManualTimer(100.0)
    catalog = SqlTariffCatalog(clean_db, ttl=5, clock=clock)
    await catalog.tariffs()

    basic.deactivate()
    await write(clean_db, basic)  # not through this catalog: another process
    before = [t.active for t in await catalog.tariffs()]
    clock.now += 5
    after = [t.active for t in await catalog.tariffs()]

    assert (before, after) == ([True], [False])


async def test_this_process_change_shows_once_committed(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    basic = a_tariff(code="basic")
    await write(clean_db, basic)
    catalog = SqlTariffCatalog(clean_db, clock=ManualTimer(100.0))
    await catalog.tariffs()

    basic.deactivate()
    await write(clean_db, basic, catalog=catalog)
    await write(clean_db, a_tariff(code="pro", order=5), catalog=catalog)

    tariffs = await catalog.tariffs()
    assert [(t.code, t.active) for t in tariffs] == [("basic", False), ("pro", True)]


async def test_a_rolled_back_change_is_not_shown(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    basic = a_tariff(code="basic")
    await write(clean_db, basic)
    catalog = SqlTariffCatalog(clean_db, clock=ManualTimer(100.0))
    await catalog.tariffs()

    basic.deactivate()
    await write(clean_db, basic, catalog=catalog, commit=False)

    assert [t.active for t in await catalog.tariffs()] == [True]


async def test_a_read_overtaken_by_a_change_is_not_kept(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    await write(clean_db, a_tariff(code="basic"))
    sessions = CountingSessions(clean_db)
    catalog = SqlTariffCatalog(sessions, clock=ManualTimer(100.0))  # type: ignore[arg-type]
    sessions.during_read = catalog.invalidate  # a commit lands while the read runs

    await catalog.tariffs()
    await catalog.tariffs()

    assert sessions.opened == 2


async def test_ttl_zero_reads_every_time(clean_db: async_sessionmaker[AsyncSession]) -> None:
    await write(clean_db, a_tariff(code="basic"))
    sessions = CountingSessions(clean_db)
    catalog = SqlTariffCatalog(sessions, ttl=0)  # type: ignore[arg-type]

    await catalog.tariffs()
    await catalog.tariffs()

    assert sessions.opened == 2
