"""Memory adapter semantics: copies, staging, rollback, serialisation, unique keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import (
    MemoryAccessRepository,
    MemoryCustomerRepository,
    MemoryDatabase,
    MemoryOutbox,
    MemoryOutboxConsumer,
    MemoryPaymentRepository,
    MemoryPromoCodeRepository,
    MemoryUnitOfWork,
)
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage, OutboxStatus
from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.access import Access
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import (
    AccessAlreadyExists,
    CustomerAlreadyExists,
    DuplicateProviderPayment,
    PromoCodeAlreadyExists,
    PromoCodeAlreadyUsed,
)
from vpnsales.domain.ids import AccessId, PanelId, PaymentId, SubscriptionId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import make_quote
from vpnsales.testing.builders import a_customer, a_promo, rub
from vpnsales.testing.clock import DEFAULT_START

NOW = DEFAULT_START


async def test_entities_are_copied_out_so_edits_do_not_leak_without_save() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemoryCustomerRepository(uow)
    customer = a_customer()
    await repo.add(customer)
    await uow.commit()
    loaded = await repo.get(customer.id)
    assert loaded is not None
    loaded.banned = True
    again = await repo.get(customer.id)
    assert again is not None
    assert not again.banned
    await uow.rollback()


async def test_writes_are_invisible_until_commit_and_dropped_on_rollback() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemoryCustomerRepository(uow)
    await repo.add(a_customer())
    assert db.tables["customers"] == {}
    await uow.rollback()
    assert db.tables["customers"] == {}
    assert not uow.active


async def test_ledger_entries_are_appended_once_on_save() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemoryCustomerRepository(uow)
    customer = a_customer()
    customer.credit(rub(10), BalanceReason.ADMIN_GRANT, NOW, entry_id=uuid4())
    await repo.add(customer)
    await repo.save(customer)
    await uow.commit()
    assert len(await repo.ledger(customer.id)) == 1
    await uow.rollback()


async def test_concurrent_units_of_work_run_one_after_another() -> None:
    db = MemoryDatabase()
    setup = MemoryUnitOfWork(db)
    customer = a_customer()
    await MemoryCustomerRepository(setup).add(customer)
    await setup.commit()

    async def add_ten() -> None:
        uow = MemoryUnitOfWork(db)
        repo = MemoryCustomerRepository(uow)
        loaded = await repo.get(customer.id, for_update=True)
        assert loaded is not None
        await asyncio.sleep(0)  # let the other coroutine try to interleave
        loaded.credit(rub(10), BalanceReason.ADMIN_GRANT, NOW, entry_id=uuid4())
        await repo.save(loaded)
        await uow.commit()

    await asyncio.gather(*(add_ten() for _ in range(5)))
    assert db.tables["customers"][customer.id].balance == rub(50)


async def test_duplicate_telegram_id_raises_customer_already_exists() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryCustomerRepository(uow)
    await repo.add(a_customer(telegram_id=7))
    with pytest.raises(CustomerAlreadyExists):
        await repo.add(a_customer(telegram_id=7))
    await uow.rollback()


async def test_second_access_on_the_same_panel_raises_access_already_exists() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryAccessRepository(uow)
    sub_id, customer_id = SubscriptionId(uuid4()), a_customer().id
    for _ in range(2):
        access = Access.new(
            id=AccessId(uuid4()),
            subscription_id=sub_id,
            customer_id=customer_id,
            panel_id=PanelId("p"),
            now=NOW,
        )
        if _ == 0:
            await repo.add(access)
    with pytest.raises(AccessAlreadyExists):
        await repo.add(access)
    await uow.rollback()


def _payment(customer_id, provider_id: str | None) -> Payment:  # type: ignore[no-untyped-def]
    payment = Payment(
        id=PaymentId(uuid4()),
        customer_id=customer_id,
        purpose=PaymentPurpose.TOP_UP,
        provider=PaymentProvider.YOOKASSA,
        quote=make_quote(rub(100), tariff_id=None, days=0),
        created_at=NOW,
    )
    if provider_id:
        payment.attach_provider(provider_id, None)
    return payment


async def test_provider_payment_id_is_unique_per_provider() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryPaymentRepository(uow)
    customer = a_customer()
    await repo.add(_payment(customer.id, "yk-1"))
    other = _payment(customer.id, None)
    await repo.add(other)
    other.attach_provider("yk-1", None)
    with pytest.raises(DuplicateProviderPayment):
        await repo.save(other)
    await uow.rollback()


async def test_promo_code_and_single_use_redemption_are_unique() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryPromoCodeRepository(uow)
    promo = a_promo("ONCE")
    await repo.add(promo)
    with pytest.raises(PromoCodeAlreadyExists):
        await repo.add(a_promo("once"))
    customer = a_customer()
    redemption = Redemption(
        promo_id=promo.id, customer_id=customer.id, redeemed_at=NOW, single_use=True
    )
    await repo.add_redemption(redemption)
    with pytest.raises(PromoCodeAlreadyUsed):
        await repo.add_redemption(redemption)
    await uow.rollback()


async def test_released_redemption_frees_the_customer_use() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryPromoCodeRepository(uow)
    promo, customer, payment_id = a_promo(), a_customer(), PaymentId(uuid4())
    await repo.add(promo)
    await repo.add_redemption(
        Redemption(
            promo_id=promo.id,
            customer_id=customer.id,
            redeemed_at=NOW,
            payment_id=payment_id,
            single_use=True,
        )
    )
    await uow.commit()
    assert await repo.remove_redemption(promo.id, payment_id)
    await uow.commit()
    assert await repo.customer_uses(promo.id, customer.id) == 0
    assert not await repo.remove_redemption(promo.id, payment_id)
    await uow.rollback()


def _message(key: str | None = None) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload={},
        created_at=NOW,
        due_at=NOW,
        dedup_key=key,
    )


async def test_outbox_drops_duplicate_dedup_keys_and_shows_messages_on_commit() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    outbox = MemoryOutbox(uow)
    await outbox.add(_message("k"))
    await outbox.add(_message("k"))
    consumer = MemoryOutboxConsumer(db)
    await uow.commit()
    assert await consumer.pending_count() == 1


async def test_claimed_message_is_leased_until_the_lease_expires() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    await MemoryOutbox(uow).add(_message())
    await uow.commit()
    consumer = MemoryOutboxConsumer(db)
    lease = timedelta(minutes=2)
    first = await consumer.claim(NOW, limit=10, lease=lease)
    assert len(first) == 1
    assert await consumer.claim(NOW, limit=10, lease=lease) == []
    again = await consumer.claim(NOW + lease, limit=10, lease=lease)
    assert [m.id for m in again] == [first[0].id]
    await consumer.complete(first[0].id)
    assert db.outbox_row(first[0].id).message.status is OutboxStatus.DONE
    assert await consumer.claim(NOW + 2 * lease, limit=10, lease=lease) == []


async def test_retry_later_counts_the_attempt_and_reschedules() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    await MemoryOutbox(uow).add(_message())
    await uow.commit()
    consumer = MemoryOutboxConsumer(db)
    (msg,) = await consumer.claim(NOW, limit=1, lease=timedelta(minutes=1))
    await consumer.retry_later(msg.id, error="boom", due_at=NOW + timedelta(seconds=30))
    assert await consumer.claim(NOW, limit=1, lease=timedelta(minutes=1)) == []
    (again,) = await consumer.claim(NOW + timedelta(seconds=30), limit=1, lease=timedelta(1))
    assert again.attempts == 1
    assert again.last_error == "boom"
    await consumer.dead_letter(again.id, error="final")
    assert await consumer.pending_count() == 0
