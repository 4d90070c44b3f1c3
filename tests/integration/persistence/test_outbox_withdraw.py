"""``Outbox.withdraw`` and ``OutboxConsumer.next_due`` on PostgreSQL: a superseded
message never runs, one a worker holds is left alone, and a claim cannot take a message
while a withdrawal holds its row."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    SqlOutboxConsumer,
    create_engine,
    create_session_factory,
)
from vpnsales.adapters.persistence.tables import outbox
from vpnsales.application.ports.outbox import (
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Withdrawal,
)

from .conftest import NOW, scope_factory

LEASE = timedelta(minutes=2)


def _message(key: str, *, due_in: timedelta = timedelta(0)) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload={"kind": "payment_received", "customer_id": str(uuid4())},
        created_at=NOW,
        due_at=NOW + due_in,
        dedup_key=key,
    )


async def _stage(scope, *messages: OutboxMessage) -> None:
    async with scope() as s:
        for message in messages:
            await s.outbox.add(message)
        await s.commit()


async def _withdraw(scope, key: str, now=NOW) -> Withdrawal:
    async with scope() as s:
        found = await s.outbox.withdraw(key, now)
        await s.commit()
        return found


async def test_a_waiting_message_is_withdrawn_and_never_claimed(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    await _stage(scope, _message("k-later", due_in=timedelta(seconds=3)), _message("k-now"))

    assert await _withdraw(scope, "k-later") is Withdrawal.WITHDRAWN
    assert await _withdraw(scope, "k-now") is Withdrawal.WITHDRAWN
    assert await _withdraw(scope, "k-now") is Withdrawal.ABSENT  # already done
    assert await _withdraw(scope, "k-unknown") is Withdrawal.ABSENT

    assert await consumer.claim(NOW + timedelta(minutes=1), limit=10, lease=LEASE) == []
    assert await consumer.pending_count() == 0


async def test_a_withdrawal_rolled_back_leaves_the_message_to_run(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    message = _message("k")
    await _stage(scope, message)
    async with scope() as s:
        assert await s.outbox.withdraw("k", NOW) is Withdrawal.WITHDRAWN
        await s.uow.rollback()

    claimed = await consumer.claim(NOW, limit=10, lease=LEASE)
    assert [m.id for m in claimed] == [message.id]


async def test_a_message_a_worker_holds_is_left_alone_until_its_lease_expires(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    message = _message("k")
    await _stage(scope, message)
    assert [m.id for m in await consumer.claim(NOW, limit=10, lease=LEASE)] == [message.id]

    assert await _withdraw(scope, "k", NOW + timedelta(seconds=1)) is Withdrawal.RUNNING
    # the worker died: once its lease is over nobody runs it, the withdrawal takes it
    assert await _withdraw(scope, "k", NOW + LEASE + timedelta(seconds=1)) is (Withdrawal.WITHDRAWN)
    assert await consumer.claim(NOW + LEASE * 2, limit=10, lease=LEASE) == []


async def test_a_finished_or_dead_message_is_absent(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    done, dead = _message("k-done"), _message("k-dead")
    await _stage(scope, done, dead)
    await consumer.claim(NOW, limit=10, lease=LEASE)
    await consumer.complete(done.id)
    await consumer.dead_letter(dead.id, error="gone")

    assert await _withdraw(scope, "k-done") is Withdrawal.ABSENT
    assert await _withdraw(scope, "k-dead") is Withdrawal.ABSENT


async def test_a_claim_skips_a_message_while_its_withdrawal_is_open(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    await _stage(scope, _message("k"))
    async with scope() as s:
        assert await s.outbox.withdraw("k", NOW) is Withdrawal.WITHDRAWN
        # a worker claiming now must not see the row the withdrawal holds
        claimed = await asyncio.wait_for(consumer.claim(NOW, limit=10, lease=LEASE), timeout=10)
        assert claimed == []
        await s.commit()
    assert await consumer.claim(NOW, limit=10, lease=LEASE) == []


async def test_next_due_is_the_earliest_pending_message_no_worker_holds(
    scope, clean_db: async_sessionmaker[AsyncSession]
) -> None:
    consumer = SqlOutboxConsumer(clean_db)
    assert await consumer.next_due(NOW) is None
    held, soon, later = (
        _message("k-held"),
        _message("k-soon", due_in=timedelta(seconds=3)),
        _message("k-later", due_in=timedelta(minutes=5)),
    )
    await _stage(scope, held)
    assert await consumer.claim(NOW, limit=10, lease=LEASE)  # a worker runs it
    await _stage(scope, soon, later)

    assert await consumer.next_due(NOW) == soon.due_at
    await _withdraw(scope, "k-soon")
    assert await consumer.next_due(NOW) == later.due_at
    # fell due meanwhile: reported as it is (in the past); the held one once its lease ends
    assert await consumer.next_due(NOW + timedelta(minutes=10)) == held.due_at
    assert (await _status(clean_db, "k-soon")) is OutboxStatus.DONE


async def _status(sessions: async_sessionmaker[AsyncSession], key: str) -> OutboxStatus:
    async with sessions() as session:
        value = (
            await session.execute(select(outbox.c.status).where(outbox.c.dedup_key == key))
        ).scalar_one()
    return OutboxStatus(value)


async def test_a_connection_the_consumer_used_is_transactional_again_for_the_next_scope(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    """The consumer runs its statements in autocommit; the pooled connection it gives back
    must not leak that into the next unit of work (one connection: surely the same)."""
    bind = clean_db.kw["bind"]
    engine = create_engine(bind.url, pool_size=1, max_overflow=0)
    try:
        sessions = create_session_factory(engine)
        scope = scope_factory(sessions)
        await SqlOutboxConsumer(sessions).claim(NOW, limit=1, lease=LEASE)
        async with scope() as s:
            await s.outbox.add(_message("k-rolled-back"))
            await s.uow.rollback()
        assert await _withdraw(scope, "k-rolled-back") is Withdrawal.ABSENT
        assert await SqlOutboxConsumer(sessions).pending_count() == 0
    finally:
        await engine.dispose()
