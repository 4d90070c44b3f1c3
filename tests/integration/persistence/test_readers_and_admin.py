"""Readers, admin-side repositories, statistics and broadcasts on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import uuid4

import pytest

from vpnsales.adapters.persistence import (
    SqlAccessLookup,
    SqlAdminRepository,
    SqlBroadcastRepository,
    SqlCustomerReader,
    SqlFlagStore,
    SqlPaymentReader,
    SqlReferralReader,
    SqlStatisticsReader,
    SqlSubscriptionReader,
)
from vpnsales.application.ports.admin import Admin, AdminRole, Flag
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastButton,
    BroadcastMessage,
    DeliveryStatus,
)
from vpnsales.domain.access import Access, Observed, ObservedStatus
from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.errors import AlreadyExists
from vpnsales.domain.ids import AccessId, BroadcastId, PanelId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus


async def test_subscription_reader_joins_tariff_and_latest_access(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
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
        observed=Observed(
            status=ObservedStatus.ACTIVE, at=build.now, used_traffic_bytes=42, devices=1
        ),
    )
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in (old, live, cancelled):
            await s.subscriptions.add(sub)
        await s.accesses.add(access)
        await s.commit()
        reader = SqlSubscriptionReader(s.uow.session)
        views = await reader.for_customer(customer.id, language=Language.RU, now=build.now)
        assert [v.subscription_id for v in views] == [live.id, old.id]
        first = views[0]
        assert first.tariff_name == "Стандарт"
        assert first.tariff_code == tariff.code
        assert first.days_left == 30
        assert first.access is not None
        assert first.access.ready
        assert first.subscription_url == "https://sub.example/1"
        assert first.traffic_used_bytes == 42
        assert views[1].access is None
        assert views[1].days_left == 0
        one = await reader.get(live.id, language=Language.EN, now=build.now)
        assert one is not None
        assert one.tariff_name == "Standard"
        lookup = SqlAccessLookup(s.uow.session)
        assert await lookup.by_account(PanelId("rw-main"), username=None, external_id="e1") == (
            access
        )
        assert (
            await lookup.by_account(PanelId("other"), username=access.username, external_id=None)
            is None
        )


async def test_customer_payment_and_referral_readers(scope, build) -> None:
    referrer = build.a_customer(referral_code="BOSS")
    invited = [build.a_customer(referrer_id=referrer.id, has_purchased=i == 0) for i in range(3)]
    for amount in ("10.50", "4.50"):
        referrer.credit(
            Money.of(amount, Currency.RUB),
            BalanceReason.REFERRAL_REWARD,
            build.now,
            entry_id=uuid4(),
        )
    tariff = build.a_tariff()
    payment = build.a_payment(referrer, tariff)
    async with scope() as s:
        await s.customers.add(referrer)
        for customer in invited:
            await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(payment)
        await s.commit()
        view = await SqlCustomerReader(s.uow.session).by_telegram_id(referrer.telegram_id)
        assert view is not None
        assert view.balance == Money.of(15, Currency.RUB)
        assert view.referral_code == "BOSS"
        stats = await SqlReferralReader(s.uow.session).stats(
            referrer.id, currency_zero=Money.zero(Currency.RUB)
        )
        assert (stats.invited, stats.invited_paid, stats.rewards) == (3, 1, 2)
        assert stats.earned == Money.of(15, Currency.RUB)
        payments = SqlPaymentReader(s.uow.session)
        [listed] = await payments.for_customer(referrer.id)
        assert listed.amount == payment.amount
        assert listed.days == 30
        assert await payments.get(payment.id) == listed


async def test_admins_and_flags(scope, build) -> None:
    owner = Admin(telegram_id=1, role=AdminRole.OWNER, added_at=build.now, name="Owner")
    async with scope() as s:
        repo = SqlAdminRepository(s.uow.session)
        await repo.add(owner)
        with pytest.raises(AlreadyExists):
            await repo.add(owner)
        support = Admin(telegram_id=2, role=AdminRole.SUPPORT, added_at=build.later(hours=1))
        await repo.save(support)
        await repo.save(Admin(telegram_id=2, role=AdminRole.OWNER, added_at=support.added_at))
        flags = SqlFlagStore(s.uow.session)
        assert await flags.get(Flag.MAINTENANCE) is False
        await flags.set(Flag.MAINTENANCE, True)
        await s.commit()
    async with scope() as s:
        repo = SqlAdminRepository(s.uow.session)
        assert await repo.get(1) == owner
        assert [(a.telegram_id, a.role) for a in await repo.list()] == [
            (1, AdminRole.OWNER),
            (2, AdminRole.OWNER),
        ]
        assert await SqlFlagStore(s.uow.session).get(Flag.MAINTENANCE) is True


async def test_statistics(scope, build) -> None:
    customers = [build.a_customer(created_at=build.now - timedelta(days=d)) for d in (0, 3, 20)]
    tariff = build.a_tariff()
    trial_tariff = build.a_tariff(is_trial=True)
    paid = build.a_payment(customers[0], tariff)
    paid.mark_succeeded(paid.amount, build.now)
    refunded = build.a_payment(customers[1], tariff)
    refunded.mark_succeeded(refunded.amount, build.now)
    refunded.mark_refunded(build.later(hours=1))
    pending = build.a_payment(customers[2], tariff)
    subs = [
        build.a_subscription(customers[0], tariff),
        build.a_subscription(customers[1], trial_tariff),
        build.a_subscription(customers[2], tariff, status=SubscriptionStatus.EXPIRED),
    ]
    subs[2].expired_at = build.now
    async with scope() as s:
        for c in customers:
            await s.customers.add(c)
        await s.tariffs.add(tariff)
        await s.tariffs.add(trial_tariff)
        for p in (paid, refunded, pending):
            await s.payments.add(p)
        for sub in subs:
            await s.subscriptions.add(sub)
        await s.commit()
        stats = SqlStatisticsReader(s.uow.session)
        counts = await stats.customers(build.later(hours=1))
        assert (counts.total, counts.new_today, counts.new_7d, counts.new_30d) == (3, 1, 2, 3)
        assert await stats.new_customers(build.now - timedelta(days=5), build.later(hours=1)) == 2
        subscriptions = await stats.subscriptions(build.now)
        assert (subscriptions.active, subscriptions.trial, subscriptions.expired) == (1, 1, 1)
        [row] = await stats.revenue(build.now - timedelta(days=1), build.later(days=1))
        assert row.day == date(2026, 11, 1)
        assert row.provider is PaymentProvider.YOOKASSA
        assert row.payments == 2
        assert row.amount == paid.amount + refunded.amount
        assert row.refunded == refunded.amount
        conversion = await stats.conversion(build.now - timedelta(days=1), build.later(days=1))
        assert (conversion.started, conversion.paid) == (3, 2)
        churn = await stats.churn(build.now - timedelta(hours=1), build.later(hours=1))
        assert churn.churned == 1
        assert paid.status is PaymentStatus.SUCCEEDED


async def test_broadcast_materialise_claim_and_progress(scope, build, clean_db) -> None:
    tariff = build.a_tariff()
    active = [build.a_customer() for _ in range(5)]
    banned = build.a_customer(banned=True)
    idle = build.a_customer()
    broadcast = Broadcast(
        id=BroadcastId(uuid4()),
        created_by=1,
        created_at=build.now,
        audience=Audience(kind=AudienceKind.ACTIVE),
        message=BroadcastMessage(
            text="Hello", button=BroadcastButton(text="Open", url="https://x.example")
        ),
    )
    async with scope() as s:
        for c in (*active, banned, idle):
            await s.customers.add(c)
        await s.tariffs.add(tariff)
        for c in (*active, banned):
            await s.subscriptions.add(build.a_subscription(c, tariff))
        repo = SqlBroadcastRepository(s.uow.session)
        await repo.add(broadcast)
        assert await repo.count_audience(Audience(kind=AudienceKind.ACTIVE), build.now) == 5
        assert await repo.count_audience(Audience(kind=AudienceKind.ALL), build.now) == 6
        assert await repo.count_audience(Audience(kind=AudienceKind.NEVER_PAID), build.now) == 6
        tariff_audience = Audience(kind=AudienceKind.TARIFF, tariff_id=tariff.id)
        assert await repo.count_audience(tariff_audience, build.now) == 5
        broadcast.start(build.now)
        await repo.save(broadcast)
        assert await repo.materialise(broadcast.id, broadcast.audience, build.now) == 5
        assert await repo.materialise(broadcast.id, broadcast.audience, build.now) == 5
        await s.commit()

    claimed: list[object] = []

    async def worker() -> None:
        while True:
            async with scope() as s:
                repo = SqlBroadcastRepository(s.uow.session)
                batch = await repo.claim(
                    broadcast.id, build.now, limit=2, lease=timedelta(minutes=1)
                )
                await s.commit()
            if not batch:
                return
            async with scope() as s:
                repo = SqlBroadcastRepository(s.uow.session)
                for delivery in batch:
                    claimed.append(delivery.customer_id)
                    await repo.mark(broadcast.id, delivery.customer_id, DeliveryStatus.SENT)
                await s.commit()

    await asyncio.gather(worker(), worker())

    assert sorted(claimed) == sorted(c.id for c in active)
    async with scope() as s:
        repo = SqlBroadcastRepository(s.uow.session)
        progress = await repo.progress(broadcast.id)
        assert (progress.total, progress.sent, progress.pending) == (5, 5, 0)
        assert await repo.running() == [broadcast.id]
        loaded = await repo.get(broadcast.id, for_update=True)
        assert loaded is not None
        assert loaded.message == broadcast.message
        assert loaded.audience == broadcast.audience
        assert loaded.started_at == build.now
