"""The customer screens' read-only queries are built once per process: a button press
resolves them without creating a database session."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.application.interactors.customer.get_tariff import GetTariff
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs
from vpnsales.application.interactors.customer.my_subscriptions import ListMySubscriptions
from vpnsales.application.interactors.payments.start_checkout import StartCheckout
from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.di import build_container


@pytest.mark.parametrize("query", [ListTariffs, GetTariff, ListMySubscriptions])
async def test_a_query_is_shared_by_every_request(query: type[object]) -> None:
    settings = load_settings(
        environ={},
        overrides={"data_dir": "/tmp/vpnsales-unit", "telegram": {"token": "1:AAunitunitunit"}},
    )
    container = build_container(
        settings,
        # never connected: resolving these queries must not touch the database
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
    )
    try:
        async with container() as first:
            one = await first.get(query)
            checkout = await first.get(StartCheckout)
        async with container() as second:
            assert await second.get(query) is one
            # unit-of-work interactors still get a session per request
            assert await second.get(StartCheckout) is not checkout
            assert await second.get(AsyncSession) is not None
    finally:
        await container.close()
