"""Shared set-up for the customer-facing and payment use case tests.

``shop`` is an in-memory app with a small catalog: ``basic`` (30 d 300 ₽ / 90 d 800 ₽),
``pro`` (30 d 600 ₽), a hidden ``secret``, a new-customers-only ``intro`` and the
``trial`` (3 d). Use ``await customer(shop)`` to register one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.tariff import Availability
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_tariff, a_trial_tariff, an_option

TG = TelegramId(1001)
YK = PaymentProvider.YOOKASSA


async def seed_catalog(app: InMemoryApp) -> None:
    await app.add_tariff(
        a_tariff(code="basic", options=(an_option(30, rub=300), an_option(90, rub=800)), order=1)
    )
    await app.add_tariff(a_tariff(code="pro", rub=600, order=2))
    await app.add_tariff(a_tariff(code="secret", rub=100, availability=Availability.HIDDEN_LINK))
    await app.add_tariff(
        a_tariff(code="intro", rub=50, availability=Availability.NEW_CUSTOMERS, order=0)
    )
    await app.add_tariff(a_trial_tariff())


APP_FACTORIES: list[Callable[..., InMemoryApp]] = [build_in_memory_app]
"""The storage behind ``make_shop``: in memory here; tests/integration/usecases pushes a
PostgreSQL-backed factory to run the same use-case tests on the real database."""


async def make_shop(**overrides: Any) -> InMemoryApp:
    app = APP_FACTORIES[-1](**overrides)
    await seed_catalog(app)
    return app


@pytest.fixture
async def shop() -> InMemoryApp:
    return await make_shop()


async def customer(
    app: InMemoryApp, telegram_id: int = TG, *, balance: Money | None = None, **kw: Any
) -> Any:
    registered = await app.register(telegram_id=TelegramId(telegram_id), **kw)
    if balance is not None:
        await grant(app, telegram_id, balance)
    return registered


async def grant(app: InMemoryApp, telegram_id: int, amount: Money) -> None:
    async with app.scope() as p:
        found = await p.customers.get_by_telegram_id(TelegramId(telegram_id), for_update=True)
        assert found is not None
        found.credit(amount, BalanceReason.ADMIN_GRANT, app.clock.now(), entry_id=uuid4())
        await p.customers.save(found)
        await p.uow.commit()


async def ban(app: InMemoryApp, telegram_id: int = TG) -> None:
    async with app.scope() as p:
        found = await p.customers.get_by_telegram_id(TelegramId(telegram_id), for_update=True)
        assert found is not None
        found.ban()
        await p.customers.save(found)
        await p.uow.commit()
