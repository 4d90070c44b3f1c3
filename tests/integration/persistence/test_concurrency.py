"""Concurrency: row locks, SKIP LOCKED batch claims and outbox leases on real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import func, select

from vpnsales.adapters.persistence import SqlOutboxConsumer
from vpnsales.adapters.persistence.tables import outbox, subscriptions
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage, OutboxStatus
from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import DomainError, InsufficientBalance, PromoCodeExhausted
from vpnsales.domain.ids import PromoCodeId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.promo import PromoCode, PromoKind
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.database import copy_records


async def test_50_concurrent_confirmations_extend_once(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subscription = build.a_subscription(customer, tariff)
    payment = build.a_payment(customer, tariff, subscription_id=subscription.id)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.payments.add(payment)
        await s.commit()
    original_expiry = subscription.expires_at

    async def confirm() -> bool:
        async with scope() as s:
            locked = await s.payments.get(payment.id, for_update=True)
            assert locked is not None
            transitioned = locked.mark_succeeded(locked.amount, build.later(minutes=1))
            if transitioned:
                sub = await s.subscriptions.get(subscription.id, for_update=True)
                assert sub is not None
                sub.extend(30, build.later(minutes=1))
                await s.subscriptions.save(sub)
                await s.outbox.add(
                    OutboxMessage(
                        id=uuid4(),
                        kind=OutboxKind.NOTIFY,
                        payload={"payment_id": str(payment.id)},
                        created_at=build.now,
                        due_at=build.now,
                    )
                )
            await s.payments.save(locked)
            await s.commit()
            return transitioned

    results = await asyncio.gather(*(confirm() for _ in range(50)))

    assert results.count(True) == 1
    async with scope() as s:
        sub = await s.subscriptions.get(subscription.id)
        assert sub is not None
        assert sub.expires_at == original_expiry + timedelta(days=30)
        assert sub.period_number == 2
        count = await s.uow.session.execute(select(func.count()).select_from(outbox))
        assert count.scalar_one() == 1


async def test_concurrent_debits_never_overdraw_the_balance(scope, build) -> None:
    customer = build.a_customer()
    customer.credit(Money.of(100, Currency.RUB), BalanceReason.TOP_UP, build.now, entry_id=uuid4())
    async with scope() as s:
        await s.customers.add(customer)
        await s.commit()

    async def spend() -> str:
        try:
            async with scope() as s:
                locked = await s.customers.get(customer.id, for_update=True)
                assert locked is not None
                locked.debit(
                    Money.of("9.99", Currency.RUB),
                    BalanceReason.PURCHASE,
                    build.now,
                    entry_id=uuid4(),
                )
                await s.customers.save(locked)
                await s.commit()
                return "ok"
        except InsufficientBalance:
            return "insufficient"

    outcomes = Counter(await asyncio.gather(*(spend() for _ in range(20))))

    assert outcomes == {"ok": 10, "insufficient": 10}
    async with scope() as s:
        stored = await s.customers.get(customer.id)
        assert stored is not None
        assert stored.balance == Money.of("0.10", Currency.RUB)
        ledger = await s.customers.ledger(customer.id, limit=100)
        assert sum((e.amount.amount for e in ledger), Decimal(0)) == stored.balance.amount


async def test_100_concurrent_redemptions_of_a_10_use_promo(scope, build) -> None:
    customers = [build.a_customer() for _ in range(100)]
    promo = PromoCode(
        id=PromoCodeId(uuid4()),
        code="TEN",
        kind=PromoKind.BONUS_DAYS,
        days=3,
        created_at=build.now,
        max_uses=10,
    )
    async with scope() as s:
        for customer in customers:
            await s.customers.add(customer)
        await s.promos.add(promo)
        await s.commit()

    async def redeem(index: int) -> str:
        customer = customers[index]
        try:
            async with scope() as s:
                locked = await s.promos.get(promo.id, for_update=True)
                assert locked is not None
                uses = await s.promos.customer_uses(promo.id, customer.id)
                locked.redeem(customer=customer, now=build.now, customer_uses=uses)
                await s.promos.add_redemption(
                    Redemption(
                        promo_id=promo.id,
                        customer_id=customer.id,
                        redeemed_at=build.now,
                        single_use=True,
                    )
                )
                await s.promos.save(locked)
                await s.commit()
                return "ok"
        except PromoCodeExhausted:
            return "exhausted"
        except DomainError as exc:  # any other typed refusal would be a bug here
            return type(exc).__name__

    outcomes = Counter(await asyncio.gather(*(redeem(i) for i in range(100))))

    assert outcomes == {"ok": 10, "exhausted": 90}
    async with scope() as s:
        stored = await s.promos.get(promo.id)
        assert stored is not None
        assert stored.uses == 10


async def test_two_sweepers_expire_10000_due_subscriptions_once(scope, build, pg_engine) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.commit()
    template = build.a_subscription(customer, tariff)
    due_at = build.now
    columns = [
        "id",
        "customer_id",
        "tariff_id",
        "status",
        "started_at",
        "expires_at",
        "traffic_reset",
        "panel_id",
    ]
    records = [
        (
            uuid4(),
            customer.id,
            tariff.id,
            "active",
            template.started_at,
            due_at - timedelta(seconds=i),
            template.traffic.reset.value,
            template.binding.panel,
        )
        for i in range(10_000)
    ]
    assert await copy_records(pg_engine, "subscriptions", columns, records) == 10_000
    now = build.later(minutes=1)

    async def sweeper() -> list[str]:
        claimed: list[str] = []
        while True:
            async with scope() as s:
                batch = await s.subscriptions.claim_due(now, 1000)
                if not batch:
                    return claimed
                for sub in batch:
                    sub.expire(now)
                    await s.subscriptions.save(sub)
                await s.commit()
                claimed.extend(str(sub.id) for sub in batch)

    first, second = await asyncio.gather(sweeper(), sweeper())

    assert len(first) + len(second) == 10_000
    assert not set(first) & set(second)
    assert first
    assert second
    async with scope() as s:
        rows = await s.uow.session.execute(
            select(subscriptions.c.status, func.count()).group_by(subscriptions.c.status)
        )
        assert dict(rows.all()) == {SubscriptionStatus.EXPIRED.value: 10_000}


async def _stage(scope, build, count: int) -> list[OutboxMessage]:
    messages = [
        OutboxMessage(
            id=uuid4(),
            kind=OutboxKind.SYNC_ACCESS,
            payload={"n": i},
            created_at=build.now,
            due_at=build.now + timedelta(microseconds=i),
            dedup_key=f"sync:{i}",
        )
        for i in range(count)
    ]
    async with scope() as s:
        for message in messages:
            await s.outbox.add(message)
        await s.commit()
    return messages


async def test_four_consumers_execute_1000_items_once(scope, build, clean_db) -> None:
    messages = await _stage(scope, build, 1000)
    consumer = SqlOutboxConsumer(clean_db)
    executed: Counter[object] = Counter()
    now = build.later(seconds=1)

    async def work() -> None:
        while batch := await consumer.claim(now, limit=25, lease=timedelta(minutes=1)):
            for message in batch:
                executed[message.id] += 1
                await consumer.complete(message.id)

    await asyncio.gather(*(work() for _ in range(4)))

    assert len(executed) == 1000
    assert set(executed.values()) == {1}
    assert set(executed) == {m.id for m in messages}
    assert await consumer.pending_count() == 0


async def test_duplicate_dedup_key_is_dropped(scope, build, clean_db) -> None:
    await _stage(scope, build, 3)
    await _stage(scope, build, 3)
    assert await SqlOutboxConsumer(clean_db).pending_count() == 3


async def test_lease_of_a_dead_consumer_expires(scope, build, clean_db) -> None:
    [message] = await _stage(scope, build, 1)
    consumer = SqlOutboxConsumer(clean_db)
    now = build.later(seconds=1)
    lease = timedelta(seconds=5)

    [claimed] = await consumer.claim(now, limit=10, lease=lease)  # ...and the worker dies
    assert claimed.id == message.id
    assert await consumer.claim(now + timedelta(seconds=4), limit=10, lease=lease) == []

    [again] = await consumer.claim(now + timedelta(seconds=6), limit=10, lease=lease)
    assert again.id == message.id
    async with scope() as s:
        claims = await s.uow.session.execute(select(outbox.c.claims))
        assert claims.scalar_one() == 2


async def test_retry_later_then_dead_letter(scope, build, clean_db) -> None:
    [_message] = await _stage(scope, build, 1)
    consumer = SqlOutboxConsumer(clean_db)
    now = build.later(seconds=1)
    [claimed] = await consumer.claim(now, limit=1, lease=timedelta(minutes=1))
    await consumer.retry_later(claimed.id, error="panel down", due_at=now + timedelta(minutes=5))

    assert await consumer.claim(now, limit=1, lease=timedelta(minutes=1)) == []
    assert await consumer.oldest_due(now) is None
    assert await consumer.oldest_due(now + timedelta(minutes=5)) == now + timedelta(minutes=5)
    [retried] = await consumer.claim(
        now + timedelta(minutes=5), limit=1, lease=timedelta(minutes=1)
    )
    assert retried.attempts == 1
    assert retried.last_error == "panel down"

    await consumer.dead_letter(retried.id, error="gave up")
    assert await consumer.pending_count() == 0
    async with scope() as s:
        row = (await s.uow.session.execute(select(outbox))).mappings().one()
        assert row["status"] == OutboxStatus.DEAD.value
        assert row["attempts"] == 2
        assert row["locked_until"] is None
