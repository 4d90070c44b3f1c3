"""Migrations: reversible from an empty database, and in agreement with the tables."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from vpnsales.adapters.persistence.engine import create_engine
from vpnsales.adapters.persistence.migrate import downgrade, migrate
from vpnsales.adapters.persistence.tables import metadata
from vpnsales.testing.database import PostgresServer, create_database, drop_database


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    return set(names) - {"alembic_version"}


async def test_stairway_upgrade_downgrade_upgrade(pg_server: PostgresServer) -> None:
    database = await create_database(pg_server, prefix="vpnsales_stairway", migrated=False)
    engine = create_engine(database.url, pool_size=1, max_overflow=0)
    try:
        await asyncio.to_thread(migrate, database.url)
        assert await _tables(engine) == {t.name for t in metadata.sorted_tables}
        await asyncio.to_thread(downgrade, database.url, revision="base")
        assert await _tables(engine) == set()
        await asyncio.to_thread(migrate, database.url)
        assert await _tables(engine) == {t.name for t in metadata.sorted_tables}
    finally:
        await engine.dispose()
        await drop_database(database)


async def test_models_and_migrations_agree(pg_engine: AsyncEngine) -> None:
    async with pg_engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_sweep_indexes_are_partial(pg_engine: AsyncEngine) -> None:
    async with pg_engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        )
        indexes: dict[str, str] = dict(rows.all())
    assert "WHERE" in indexes["ix_subscriptions_active_expires_at"]
    assert "WHERE" in indexes["ix_outbox_pending_due_at"]
    assert "WHERE" in indexes["ix_payments_pending_created_at"]
    assert "WHERE single_use" in indexes["uq_promo_redemptions_single_use"]
