"""``MemoryOutbox.withdraw`` and ``MemoryOutboxConsumer.next_due`` (the PostgreSQL
adapter's twin tests: tests/integration/persistence/test_outbox_withdraw.py)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from vpnsales.adapters.memory import (
    MemoryDatabase,
    MemoryOutbox,
    MemoryOutboxConsumer,
    MemoryUnitOfWork,
)
from vpnsales.application.ports.outbox import (
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Withdrawal,
)
from vpnsales.testing.clock import DEFAULT_START

NOW = DEFAULT_START
LEASE = timedelta(minutes=2)


def _message(key: str, *, due_in: timedelta = timedelta(0)) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload={},
        created_at=NOW,
        due_at=NOW + due_in,
        dedup_key=key,
    )


async def _stage(db: MemoryDatabase, *messages: OutboxMessage) -> None:
    uow = MemoryUnitOfWork(db)
    for message in messages:
        await MemoryOutbox(uow).add(message)
    await uow.commit()


async def _withdraw(db: MemoryDatabase, key: str, now=NOW) -> Withdrawal:
    uow = MemoryUnitOfWork(db)
    found = await MemoryOutbox(uow).withdraw(key, now)
    await uow.commit()
    return found


async def test_a_waiting_message_is_withdrawn_and_never_claimed() -> None:
    db = MemoryDatabase()
    later = _message("k-later", due_in=timedelta(seconds=3))
    await _stage(db, later, _message("k-now"))

    assert await _withdraw(db, "k-later") is Withdrawal.WITHDRAWN
    assert await _withdraw(db, "k-now") is Withdrawal.WITHDRAWN
    assert await _withdraw(db, "k-now") is Withdrawal.ABSENT
    assert await _withdraw(db, "k-unknown") is Withdrawal.ABSENT

    consumer = MemoryOutboxConsumer(db)
    assert await consumer.claim(NOW + timedelta(minutes=1), limit=10, lease=LEASE) == []
    assert db.outbox_row(later.id).message.status is OutboxStatus.DONE


async def test_a_withdrawal_rolled_back_leaves_the_message_to_run() -> None:
    db = MemoryDatabase()
    message = _message("k")
    await _stage(db, message)
    uow = MemoryUnitOfWork(db)
    assert await MemoryOutbox(uow).withdraw("k", NOW) is Withdrawal.WITHDRAWN
    await uow.rollback()

    claimed = await MemoryOutboxConsumer(db).claim(NOW, limit=10, lease=LEASE)
    assert [m.id for m in claimed] == [message.id]


async def test_a_message_a_worker_holds_is_left_alone_until_its_lease_expires() -> None:
    db = MemoryDatabase()
    await _stage(db, _message("k"))
    consumer = MemoryOutboxConsumer(db)
    assert len(await consumer.claim(NOW, limit=10, lease=LEASE)) == 1

    assert await _withdraw(db, "k", NOW + timedelta(seconds=1)) is Withdrawal.RUNNING
    assert await _withdraw(db, "k", NOW + LEASE + timedelta(seconds=1)) is Withdrawal.WITHDRAWN
    assert await consumer.claim(NOW + LEASE * 2, limit=10, lease=LEASE) == []


async def test_a_finished_or_dead_message_is_absent() -> None:
    db = MemoryDatabase()
    done, dead = _message("k-done"), _message("k-dead")
    await _stage(db, done, dead)
    consumer = MemoryOutboxConsumer(db)
    await consumer.claim(NOW, limit=10, lease=LEASE)
    await consumer.complete(done.id)
    await consumer.dead_letter(dead.id, error="gone")

    assert await _withdraw(db, "k-done") is Withdrawal.ABSENT
    assert await _withdraw(db, "k-dead") is Withdrawal.ABSENT


async def test_next_due_is_the_earliest_pending_message_no_worker_holds() -> None:
    db = MemoryDatabase()
    consumer = MemoryOutboxConsumer(db)
    assert await consumer.next_due(NOW) is None
    held = _message("k-held")
    soon = _message("k-soon", due_in=timedelta(seconds=3))
    later = _message("k-later", due_in=timedelta(minutes=5))
    await _stage(db, held)
    assert await consumer.claim(NOW, limit=10, lease=LEASE)  # a worker runs it
    await _stage(db, soon, later)

    assert await consumer.next_due(NOW) == soon.due_at
    await _withdraw(db, "k-soon")
    assert await consumer.next_due(NOW) == later.due_at
    # fell due meanwhile: reported as it is (in the past); the held one once its lease ends
    assert await consumer.next_due(NOW + timedelta(minutes=10)) == held.due_at
