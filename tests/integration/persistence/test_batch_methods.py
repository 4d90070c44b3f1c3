"""Batch port methods on PostgreSQL: ``get_many``/``save_all``, ``for_subscriptions``,
``Outbox.add_all`` (dedup keys) and the row locks ``for_update`` takes."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from vpnsales.adapters.memory.clock import ManualClock
from vpnsales.adapters.persistence.tables import outbox
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.application.interactors.system.send_reminders import (
    SendReminders,
    SendRemindersCommand,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.errors import AccessAlreadyExists
from vpnsales.domain.ids import AccessId, PanelId, SubscriptionId
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus


def _access(subscription, panel: str, now) -> Access:
    return Access.new(
        id=AccessId(uuid4()),
        subscription_id=subscription.id,
        customer_id=subscription.customer_id,
        panel_id=PanelId(panel),
        now=now,
    )


def _message(key: str | None, marker: str, now) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload={"marker": marker, "nested": {"n": 1}},
        created_at=now,
        due_at=now,
        dedup_key=key,
    )


async def _seed(scope, build, count: int = 3):
    customer, tariff = build.a_customer(), build.a_tariff()
    subs = [build.a_subscription(customer, tariff) for _ in range(count)]
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in subs:
            await s.subscriptions.add(sub)
        await s.commit()
    return customer, tariff, subs


async def test_subscriptions_get_many_and_save_all(scope, build) -> None:
    _, _, subs = await _seed(scope, build)
    missing = SubscriptionId(uuid4())
    async with scope() as s:
        found = await s.subscriptions.get_many([subs[0].id, subs[2].id, missing, subs[0].id])
        assert set(found) == {subs[0].id, subs[2].id}
        assert found[subs[2].id].id == subs[2].id
        assert await s.subscriptions.get_many([]) == {}
        for sub in found.values():
            sub.expire(build.later(days=31))
        await s.subscriptions.save_all(found.values())
        await s.subscriptions.save_all([])
        await s.commit()
    async with scope() as s:
        after = await s.subscriptions.get_many([sub.id for sub in subs], for_update=True)
        assert [after[sub.id].status for sub in subs] == [
            SubscriptionStatus.EXPIRED,
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.EXPIRED,
        ]
        assert after[subs[0].id].expired_at == build.later(days=31)


async def test_accesses_for_subscriptions_groups_orders_and_save_all_writes(scope, build) -> None:
    _, _, subs = await _seed(scope, build)
    first = _access(subs[0], "rw-main", build.now)
    second = _access(subs[0], "xui-1", build.later(minutes=1))
    third = _access(subs[1], "rw-main", build.now)
    async with scope() as s:
        for access in (second, third, first):
            await s.accesses.add(access)
        await s.commit()
    async with scope() as s:
        wanted = [subs[0].id, subs[1].id, subs[2].id]
        found = await s.accesses.for_subscriptions(wanted, for_update=True)
        assert list(found) == wanted
        assert [a.id for a in found[subs[0].id]] == [
            a.id for a in await s.accesses.for_subscription(subs[0].id)
        ]
        assert [a.id for a in found[subs[0].id]] == [first.id, second.id]
        assert [a.id for a in found[subs[1].id]] == [third.id]
        assert found[subs[2].id] == []
        assert await s.accesses.for_subscriptions([]) == {}
        changed = [a for group in found.values() for a in group]
        for access in changed:
            assert access.desire(DesiredState.DISABLED)
        await s.accesses.save_all(changed)
        await s.commit()
    async with scope() as s:
        reloaded = await s.accesses.for_subscriptions([subs[0].id, subs[1].id])
        assert {a.desired for group in reloaded.values() for a in group} == {DesiredState.DISABLED}
        assert {a.version for group in reloaded.values() for a in group} == {
            a.version for a in changed
        }


async def test_access_save_all_raises_the_typed_unique_error(scope, build) -> None:
    _, _, subs = await _seed(scope, build, count=1)
    live = _access(subs[0], "rw-main", build.now)
    gone = _access(subs[0], "rw-main", build.now)
    gone.desire(DesiredState.DELETED)
    async with scope() as s:
        await s.accesses.add(live)
        await s.accesses.add(gone)
        await s.commit()
    async with scope() as s:
        loaded = (await s.accesses.for_subscriptions([subs[0].id]))[subs[0].id]
        back = next(a for a in loaded if a.id == gone.id)
        back.desired = DesiredState.ENABLED  # bypass the domain rule: hit the constraint
        with pytest.raises(AccessAlreadyExists):
            await s.accesses.save_all([back])


async def test_for_subscriptions_for_update_locks_every_returned_access(scope, build) -> None:
    _, _, subs = await _seed(scope, build, count=2)
    one, two = _access(subs[0], "rw-main", build.now), _access(subs[1], "rw-main", build.now)
    async with scope() as s:
        await s.accesses.add(one)
        await s.accesses.add(two)
        await s.commit()
    async with scope() as holder:
        await holder.accesses.for_subscriptions([subs[0].id, subs[1].id], for_update=True)
        async with scope() as other:
            # A plain read is not blocked; a locking read of either access is.
            plain = await other.accesses.for_subscriptions([subs[1].id])
            assert [a.id for a in plain[subs[1].id]] == [two.id]
            await other.uow.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(DBAPIError, match="lock"):
                await other.accesses.get(two.id, for_update=True)
        await holder.commit()
    async with scope() as s:  # released on commit
        locked = await s.accesses.for_subscriptions([subs[1].id], for_update=True)
        assert [a.id for a in locked[subs[1].id]] == [two.id]


async def test_get_many_for_update_locks_the_subscriptions(scope, build) -> None:
    _, _, subs = await _seed(scope, build, count=2)
    async with scope() as holder:
        await holder.subscriptions.get_many([subs[1].id], for_update=True)
        async with scope() as other:
            await other.uow.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            assert await other.subscriptions.get_many([subs[0].id], for_update=True)
            with pytest.raises(DBAPIError, match="lock"):
                await other.subscriptions.get_many([subs[0].id, subs[1].id], for_update=True)
        await holder.commit()


async def test_outbox_add_all_honours_dedup_keys(scope, build) -> None:
    async with scope() as s:
        await s.outbox.add(_message("k-stored", "stored", build.now))
        await s.commit()
    async with scope() as s:
        await s.outbox.add_all(
            [
                _message("k-stored", "dropped: already stored", build.now),
                _message("k-new", "first wins", build.now),
                _message("k-new", "dropped: same call", build.now),
                _message(None, "no key 1", build.now),
                _message(None, "no key 2", build.now),
            ]
        )
        await s.outbox.add_all([])
        await s.outbox.add(_message("k-new", "dropped: staged by add_all", build.now))
        await s.outbox.add_all([_message("k-new", "dropped: staged earlier", build.now)])
        await s.commit()
    async with scope() as s:
        rows = (await s.uow.session.execute(select(outbox))).mappings().all()
        markers = {row["payload"]["marker"]: row for row in rows}
        assert set(markers) == {"stored", "first wins", "no key 1", "no key 2"}
        assert markers["first wins"]["dedup_key"] == "k-new"
        assert markers["no key 1"]["payload"]["nested"] == {"n": 1}
        assert markers["no key 2"]["kind"] == OutboxKind.NOTIFY.value


async def test_outbox_add_all_is_part_of_the_unit_of_work(scope, build) -> None:
    async with scope() as s:
        await s.outbox.add_all([_message("k-rolled-back", "x", build.now)])
        await s.uow.rollback()
    async with scope() as s:
        rows = (await s.uow.session.execute(select(outbox.c.dedup_key))).scalars().all()
        assert "k-rolled-back" not in rows


async def test_payments_save_all(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    payments = [build.a_payment(customer, tariff) for _ in range(3)]
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for payment in payments:
            await s.payments.add(payment)
        await s.commit()
    async with scope() as s:
        loaded = [await s.payments.get(p.id, for_update=True) for p in payments[:2]]
        for payment in loaded:
            assert payment is not None
            assert payment.mark_expired(build.later(hours=2))
        await s.payments.save_all([p for p in loaded if p is not None])
        await s.payments.save_all([])
        await s.commit()
    async with scope() as s:
        statuses = [(await s.payments.get(p.id)).status for p in payments]  # type: ignore[union-attr]
        assert statuses == [PaymentStatus.EXPIRED, PaymentStatus.EXPIRED, PaymentStatus.PENDING]


class _Statements:
    """Counts the statements (an ``executemany`` is one) sent through ``engine``."""

    def __init__(self, engine) -> None:
        self.count = 0
        self._engine = engine.sync_engine

    def _seen(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> _Statements:
        event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)


async def test_expiry_sweep_on_postgres_uses_a_few_statements_per_batch(
    scope, build, pg_engine
) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    due = [build.a_subscription(customer, tariff) for _ in range(40)]
    live = build.a_subscription(customer, tariff)
    live.expires_at = build.later(days=400)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in [*due, live]:
            await s.subscriptions.add(sub)
        for sub in due[:30]:
            await s.accesses.add(_access(sub, "rw-main", build.now))
        await s.commit()
    async with scope() as s:
        interactor = ExpireDueSubscriptions(
            uow=s.uow,
            subscriptions=s.subscriptions,
            accesses=s.accesses,
            outbox=s.outbox,
            clock=ManualClock(build.later(days=60)),
            policy=ShopPolicy(sweep_batch=25),
        )
        with _Statements(pg_engine) as statements:
            result = await interactor(ExpireDueSubscriptionsCommand())
    assert (result.expired, result.accesses_disabled) == (40, 30)
    # two batches (25 + 15): claim, save_all, for_subscriptions, save_all, add_all each,
    # plus transaction control; per row it used to be ~3 statements (120+ here)
    assert statements.count <= 2 * 5 + 2, statements.count
    async with scope() as s:
        subs = await s.subscriptions.get_many([sub.id for sub in [*due, live]])
        assert {subs[sub.id].status for sub in due} == {SubscriptionStatus.EXPIRED}
        assert subs[live.id].status is SubscriptionStatus.ACTIVE
        groups = await s.accesses.for_subscriptions([sub.id for sub in due])
        assert {a.desired for group in groups.values() for a in group} == {DesiredState.DISABLED}
        rows = (await s.uow.session.execute(select(outbox))).mappings().all()
        kinds = sorted(row["kind"] for row in rows)
        assert kinds == [OutboxKind.NOTIFY.value] * 40 + [OutboxKind.SYNC_ACCESS.value] * 30
    # a second run finds nothing and stages nothing twice
    async with scope() as s:
        again = ExpireDueSubscriptions(
            uow=s.uow,
            subscriptions=s.subscriptions,
            accesses=s.accesses,
            outbox=s.outbox,
            clock=ManualClock(build.later(days=60)),
            policy=ShopPolicy(sweep_batch=25),
        )
        assert (await again(ExpireDueSubscriptionsCommand())).expired == 0


async def test_reminders_on_postgres_dedup_across_runs(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    soon = [build.a_subscription(customer, tariff) for _ in range(5)]
    for sub in soon:
        sub.expires_at = build.later(hours=20)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in soon:
            await s.subscriptions.add(sub)
        await s.commit()

    async def remind() -> int:
        async with scope() as s:
            interactor = SendReminders(
                uow=s.uow,
                subscriptions=s.subscriptions,
                outbox=s.outbox,
                clock=ManualClock(build.now),
                policy=ShopPolicy(sweep_batch=2, reminder_hours=(24, 72)),
            )
            return (await interactor(SendRemindersCommand())).sent

    assert await remind() == 5
    assert await remind() == 0
    async with scope() as s:
        subs = await s.subscriptions.get_many([sub.id for sub in soon])
        assert {frozenset(sub.reminders_sent) for sub in subs.values()} == {frozenset({24, 72})}
        keys = (await s.uow.session.execute(select(outbox.c.dedup_key))).scalars().all()
        assert len(keys) == len(set(keys)) == 5
