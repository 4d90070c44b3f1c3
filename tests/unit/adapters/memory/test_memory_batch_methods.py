"""Batch port methods of the memory adapter: same semantics as the single-row methods
(staged in the unit of work, applied on commit), dedup keys under ``add_all``."""

from __future__ import annotations

from uuid import uuid4

import pytest

from vpnsales.adapters.memory import (
    MemoryAccessRepository,
    MemoryDatabase,
    MemoryOutbox,
    MemoryPaymentRepository,
    MemorySubscriptionRepository,
    MemoryUnitOfWork,
)
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.errors import AccessAlreadyExists, DuplicateProviderPayment
from vpnsales.domain.ids import AccessId, CustomerId, PanelId, PaymentId, SubscriptionId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import Subscription, SubscriptionStatus
from vpnsales.testing.builders import a_subscription, rub
from vpnsales.testing.clock import DEFAULT_START

NOW = DEFAULT_START


def _access(subscription: Subscription, panel: str) -> Access:
    return Access.new(
        id=AccessId(uuid4()),
        subscription_id=subscription.id,
        customer_id=subscription.customer_id,
        panel_id=PanelId(panel),
        now=NOW,
    )


def _message(key: str | None, marker: str) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload={"marker": marker},
        created_at=NOW,
        due_at=NOW,
        dedup_key=key,
    )


def _payment(provider_payment_id: str | None = None) -> Payment:
    quote = make_quote(rub(100), tariff_id=None, days=30, promo_code=None)
    return Payment(
        id=PaymentId(uuid4()),
        customer_id=CustomerId(uuid4()),
        purpose=PaymentPurpose.NEW,
        provider=PaymentProvider.YOOKASSA,
        quote=quote,
        created_at=NOW,
        provider_payment_id=provider_payment_id,
    )


async def test_subscriptions_get_many_and_save_all_are_staged_until_commit() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemorySubscriptionRepository(uow)
    subs = [a_subscription(expires_at=NOW) for _ in range(3)]
    for sub in subs:
        await repo.add(sub)
    await uow.commit()

    missing = SubscriptionId(uuid4())
    found = await repo.get_many([subs[2].id, missing, subs[0].id], for_update=True)
    assert set(found) == {subs[0].id, subs[2].id}
    assert await repo.get_many([]) == {}
    for sub in found.values():
        sub.expire(NOW)
    await repo.save_all(found.values())
    # staged: another unit of work would still see them active (it waits for the lock,
    # so peek at the committed state directly)
    assert {s.status for s in db.table("subscriptions").values()} == {SubscriptionStatus.ACTIVE}
    await uow.commit()

    statuses = {s.id: s.status for s in db.table("subscriptions").values()}
    assert statuses == {
        subs[0].id: SubscriptionStatus.EXPIRED,
        subs[1].id: SubscriptionStatus.ACTIVE,
        subs[2].id: SubscriptionStatus.EXPIRED,
    }


async def test_get_many_returns_copies() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemorySubscriptionRepository(uow)
    sub = a_subscription()
    await repo.add(sub)
    await uow.commit()
    found = await repo.get_many([sub.id])
    found[sub.id].auto_renew = not sub.auto_renew
    assert (await repo.get(sub.id)).auto_renew is sub.auto_renew  # type: ignore[union-attr]
    await uow.rollback()


async def test_accesses_for_subscriptions_groups_like_for_subscription() -> None:
    uow = MemoryUnitOfWork(MemoryDatabase())
    repo = MemoryAccessRepository(uow)
    one, two, three = a_subscription(), a_subscription(), a_subscription()
    a1, a2, b1 = _access(one, "rw-main"), _access(one, "xui-1"), _access(two, "rw-main")
    for access in (a1, b1, a2):
        await repo.add(access)
    await uow.commit()

    found = await repo.for_subscriptions([one.id, two.id, three.id], for_update=True)
    assert list(found) == [one.id, two.id, three.id]
    assert found[one.id] == await repo.for_subscription(one.id)
    assert {a.id for a in found[one.id]} == {a1.id, a2.id}
    assert [a.id for a in found[two.id]] == [b1.id]
    assert found[three.id] == []
    assert await repo.for_subscriptions([]) == {}

    found[one.id][0].desired = DesiredState.DISABLED  # a copy: nothing leaks
    assert {a.desired for a in await repo.for_subscription(one.id)} == {DesiredState.ENABLED}
    await uow.rollback()


async def test_accesses_save_all_applies_on_commit_and_checks_uniqueness() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemoryAccessRepository(uow)
    sub = a_subscription()
    live, other = _access(sub, "rw-main"), _access(sub, "xui-1")
    await repo.add(live)
    await repo.add(other)
    await uow.commit()

    loaded = (await repo.for_subscriptions([sub.id]))[sub.id]
    for access in loaded:
        access.desire(DesiredState.DISABLED)
    await repo.save_all(loaded)
    await repo.save_all([])
    assert {a.desired for a in db.table("accesses").values()} == {DesiredState.ENABLED}
    await uow.commit()
    assert {a.desired for a in db.table("accesses").values()} == {DesiredState.DISABLED}

    duplicate = _access(sub, "rw-main")  # a second live access on the same panel
    for access in loaded:
        access.desire(DesiredState.ENABLED)
    with pytest.raises(AccessAlreadyExists):
        await repo.save_all([*loaded, duplicate])
    await uow.rollback()
    assert duplicate.id not in db.table("accesses")


async def test_payments_save_all_checks_provider_ids() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    repo = MemoryPaymentRepository(uow)
    first, second = _payment("p-1"), _payment("p-2")
    await repo.add(first)
    await repo.add(second)
    await uow.commit()

    loaded = [await repo.get(first.id), await repo.get(second.id)]
    for payment in loaded:
        assert payment is not None
        assert payment.mark_expired(NOW)
    await repo.save_all([p for p in loaded if p is not None])
    await uow.commit()
    assert {p.status for p in db.table("payments").values()} == {PaymentStatus.EXPIRED}

    thief = await repo.get(second.id)
    assert thief is not None
    thief.provider_payment_id = "p-1"
    with pytest.raises(DuplicateProviderPayment):
        await repo.save_all([thief])
    await uow.rollback()


async def test_outbox_add_all_honours_dedup_keys_and_the_unit_of_work() -> None:
    db = MemoryDatabase()
    uow = MemoryUnitOfWork(db)
    outbox = MemoryOutbox(uow)
    await outbox.add(_message("k-stored", "stored"))
    await uow.commit()

    await outbox.add_all(
        [
            _message("k-stored", "dropped: already stored"),
            _message("k-new", "first wins"),
            _message("k-new", "dropped: same call"),
            _message(None, "no key 1"),
            _message(None, "no key 2"),
        ]
    )
    await outbox.add_all([])
    await outbox.add(_message("k-new", "dropped: staged by add_all"))
    await outbox.add_all([_message("k-new", "dropped: staged earlier")])
    assert [m.payload["marker"] for m in db.outbox_messages()] == ["stored"]
    await uow.commit()
    assert [m.payload["marker"] for m in db.outbox_messages()] == [
        "stored",
        "first wins",
        "no key 1",
        "no key 2",
    ]

    await outbox.add_all([_message("k-rolled-back", "x")])
    await uow.rollback()
    assert "k-rolled-back" not in {m.dedup_key for m in db.outbox_messages()}
