"""Revision 0003 backfills why existing subscriptions are suspended, and is reversible."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from sqlalchemy import text

from vpnsales.adapters.persistence.engine import create_engine
from vpnsales.adapters.persistence.migrate import downgrade, migrate
from vpnsales.testing.database import PostgresServer, create_database, drop_database

_CUSTOMER = """
INSERT INTO customers (id, telegram_id, created_at, first_name, language, referral_code,
                       banned, trial_used, has_purchased, balance, balance_currency)
VALUES (:id, :tg, now(), '', 'en', :code, :banned, false, true, 0, 'RUB')
"""
_TARIFF = """
INSERT INTO tariffs (id, code, names, traffic_reset, panel_id, availability)
VALUES (:id, 'basic', '{}'::jsonb, 'NO_RESET', 'p', 'everyone')
"""
_SUBSCRIPTION = """
INSERT INTO subscriptions (id, customer_id, tariff_id, status, started_at, expires_at,
                           traffic_reset, panel_id)
VALUES (:id, :customer, :tariff, :status, now(), now() + interval '10 days', 'NO_RESET', 'p')
"""


async def test_suspended_reason_is_backfilled_and_reversible(pg_server: PostgresServer) -> None:
    database = await create_database(pg_server, prefix="vpnsales_0003", migrated=False)
    engine = create_engine(database.url, pool_size=1, max_overflow=0)
    try:
        await asyncio.to_thread(migrate, database.url, revision="0002")
        banned, clean, tariff = uuid4(), uuid4(), uuid4()
        by_ban, by_refund, active = uuid4(), uuid4(), uuid4()
        async with engine.begin() as c:
            await c.execute(text(_CUSTOMER), {"id": banned, "tg": 1, "code": "a", "banned": True})
            await c.execute(text(_CUSTOMER), {"id": clean, "tg": 2, "code": "b", "banned": False})
            await c.execute(text(_TARIFF), {"id": tariff})
            for sub, owner, status in (
                (by_ban, banned, "suspended"),
                (by_refund, clean, "suspended"),
                (active, clean, "active"),
            ):
                await c.execute(
                    text(_SUBSCRIPTION),
                    {"id": sub, "customer": owner, "tariff": tariff, "status": status},
                )

        await asyncio.to_thread(migrate, database.url)

        async with engine.connect() as c:
            rows = await c.execute(text("SELECT id, suspended_reason FROM subscriptions"))
            reasons = dict(rows.all())
        assert reasons == {by_ban: "ban", by_refund: "refund", active: None}

        await asyncio.to_thread(downgrade, database.url, revision="0002")
        async with engine.connect() as c:
            columns = await c.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'subscriptions'"
                )
            )
            assert "suspended_reason" not in {r[0] for r in columns}
    finally:
        await engine.dispose()
        await drop_database(database)
