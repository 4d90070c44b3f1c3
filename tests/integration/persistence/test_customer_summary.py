"""``SqlCustomerSummaryReader``: the customer and their subscriptions in one statement,
the same views as the customer and subscription readers give separately."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import event

from vpnsales.adapters.persistence import (
    SqlCustomerReader,
    SqlCustomerSummaryReader,
    SqlSubscriptionReader,
)
from vpnsales.domain.access import Access, Observed, ObservedStatus
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import AccessId, PanelId, TelegramId
from vpnsales.domain.subscription import SubscriptionStatus


async def test_the_summary_is_what_the_two_readers_give(scope, build) -> None:
    customer, tariff = build.a_customer(language=Language.RU), build.a_tariff()
    live = build.a_subscription(customer, tariff)
    old = build.a_subscription(customer, tariff, started_at=build.now - timedelta(days=90))
    old.expires_at = build.now - timedelta(days=60)
    old.status = SubscriptionStatus.EXPIRED
    cancelled = build.a_subscription(customer, tariff, status=SubscriptionStatus.CANCELLED)
    access = Access.new(
        id=AccessId(uuid4()),
        subscription_id=live.id,
        customer_id=customer.id,
        panel_id=PanelId("rw-main"),
        now=build.now,
    )
    access.mark_synced(
        version=access.version,
        external_id="e1",
        subscription_url="https://sub.example/1",
        observed=Observed(status=ObservedStatus.ACTIVE, at=build.now, used_traffic_bytes=7),
    )
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in (old, live, cancelled):
            await s.subscriptions.add(sub)
        await s.accesses.add(access)
        await s.commit()
        session = s.uow.session
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        engine = (await session.connection()).engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            summary = await SqlCustomerSummaryReader(session).summary(
                customer.telegram_id, now=build.now
            )
        finally:
            event.remove(engine, "before_cursor_execute", record)
        view = await SqlCustomerReader(session).by_telegram_id(customer.telegram_id)
        subscriptions = await SqlSubscriptionReader(session).for_customer(
            customer.id, language=Language.RU, now=build.now
        )

    assert summary is not None
    assert len(statements) == 1
    assert summary.customer == view
    assert list(summary.subscriptions) == subscriptions
    assert [v.subscription_id for v in summary.subscriptions] == [live.id, old.id]
    assert summary.subscriptions[0].tariff_name == "Стандарт"


async def test_a_customer_without_subscriptions_and_a_stranger(scope, build) -> None:
    customer = build.a_customer()
    async with scope() as s:
        await s.customers.add(customer)
        await s.commit()
        reader = SqlCustomerSummaryReader(s.uow.session)
        summary = await reader.summary(customer.telegram_id, now=build.now)
        stranger = await reader.summary(TelegramId(1), now=build.now)

    assert summary is not None
    assert summary.customer.customer_id == customer.id
    assert summary.subscriptions == ()
    assert stranger is None


async def test_on_a_bare_connection_the_summary_is_the_same(scope, build) -> None:
    """The bot's directory reads on an autocommit connection, without an ORM session."""
    customer, tariff = build.a_customer(), build.a_tariff()
    live = build.a_subscription(customer, tariff)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(live)
        await s.commit()
        session = s.uow.session
        expected = await SqlCustomerSummaryReader(session).summary(
            customer.telegram_id, now=build.now
        )
        engine = (await session.connection()).engine
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as connection:
        reader = SqlCustomerSummaryReader(connection)
        summary = await reader.summary(customer.telegram_id, now=build.now)
        stranger = await reader.summary(TelegramId(1), now=build.now)

    assert expected is not None
    assert summary == expected
    assert [v.subscription_id for v in summary.subscriptions] == [live.id]
    assert stranger is None
