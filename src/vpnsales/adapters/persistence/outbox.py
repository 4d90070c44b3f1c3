"""Transactional outbox on PostgreSQL.

``SqlOutbox`` stages messages in the caller's unit of work (``ON CONFLICT (dedup_key)
DO NOTHING`` drops duplicates). ``SqlOutboxConsumer`` is the worker's side: every call
is one statement committed on its own (autocommit: no BEGIN/COMMIT round trips).
``claim`` leases due messages:

    UPDATE outbox SET locked_until = :now + :lease, claims = claims + 1
    WHERE id IN (SELECT id FROM outbox
                 WHERE status = 'pending' AND due_at <= :now
                   AND (locked_until IS NULL OR locked_until < :now)
                 ORDER BY due_at LIMIT :n FOR UPDATE SKIP LOCKED)
    RETURNING *

``attempts`` counts failed executions (``retry_later`` and ``dead_letter`` add one, as
the port and the in-memory adapter do); ``claims`` counts leases taken, so a message
that keeps killing its worker is visible even though it never reports a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.tables import outbox
from vpnsales.application.ports.outbox import (
    Outbox,
    OutboxConsumer,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Withdrawal,
)

MAX_ERROR_LENGTH = 2000
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
WITHDRAWN_NOTE = "withdrawn: superseded before it ran"
_PENDING = OutboxStatus.PENDING.value


def message_from_row(row: Mapping[Any, Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        kind=OutboxKind(row["kind"]),
        payload=row["payload"],
        created_at=row["created_at"],
        due_at=row["due_at"],
        dedup_key=row["dedup_key"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        status=OutboxStatus(row["status"]),
    )


def message_to_values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "payload": dict(message.payload),
        "created_at": message.created_at,
        "due_at": message.due_at,
        "dedup_key": message.dedup_key,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "status": message.status.value,
    }


_MESSAGE_COLUMNS = (
    "id",
    "kind",
    "payload",
    "created_at",
    "due_at",
    "dedup_key",
    "attempts",
    "last_error",
    "status",
)
# Built once (a cached statement), the executemany statement of ``SqlOutbox.add_all``.
_INSERT = (
    pg_insert(outbox)
    .values({name: bindparam(name) for name in _MESSAGE_COLUMNS})
    .on_conflict_do_nothing(index_elements=[outbox.c.dedup_key])
)


class SqlOutbox(Outbox):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutboxMessage) -> None:
        statement = (
            pg_insert(outbox)
            .values(message_to_values(message))
            .on_conflict_do_nothing(index_elements=[outbox.c.dedup_key])
        )
        await self._session.execute(statement)

    async def add_all(self, messages: Iterable[OutboxMessage]) -> None:
        """One pipelined ``executemany`` of the same ``ON CONFLICT DO NOTHING`` insert,
        row by row in order: the first message with a given ``dedup_key`` wins."""
        params = [message_to_values(m) for m in messages]
        if params:
            connection = await self._session.connection()
            await connection.execute(_INSERT, params)

    async def withdraw(self, dedup_key: str, now: datetime) -> Withdrawal:
        """``SELECT … FOR UPDATE`` by the unique key, then mark it done (``last_error``
        says it was withdrawn): a claim running meanwhile skips the locked row."""
        row = (
            await self._session.execute(
                select(outbox.c.id, outbox.c.status, outbox.c.locked_until)
                .where(outbox.c.dedup_key == dedup_key)
                .with_for_update()
            )
        ).first()
        if row is None or row.status != _PENDING:
            return Withdrawal.ABSENT
        if row.locked_until is not None and row.locked_until >= now:
            return Withdrawal.RUNNING
        await self._session.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(
                status=OutboxStatus.DONE.value,
                locked_until=None,
                finished_at=func.now(),
                last_error=WITHDRAWN_NOTE,
            )
        )
        return Withdrawal.WITHDRAWN


class SqlOutboxConsumer(OutboxConsumer):
    __slots__ = ("_sessions",)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxMessage]:
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.status == _PENDING,
                outbox.c.due_at <= now,
                or_(outbox.c.locked_until.is_(None), outbox.c.locked_until < now),
            )
            .order_by(outbox.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(locked_until=now + lease, claims=outbox.c.claims + 1)
            .returning(*outbox.c)
        )
        async with self._statement() as connection:
            rows = (await connection.execute(statement)).mappings().all()
        messages = [message_from_row(r) for r in rows]
        messages.sort(key=lambda m: (m.due_at, m.created_at))
        return messages

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement committed on its own: every call of the consumer
        is a single atomic statement, so no BEGIN/COMMIT round trips around it (the worker
        runs several per outbox message)."""
        async with self._sessions() as session:
            yield await session.connection(execution_options=_AUTOCOMMIT)

    async def _update(self, message_id: UUID, **values: Any) -> None:
        async with self._statement() as connection:
            await connection.execute(update(outbox).where(outbox.c.id == message_id).values(values))

    async def complete(self, message_id: UUID) -> None:
        await self._update(
            message_id,
            status=OutboxStatus.DONE.value,
            locked_until=None,
            finished_at=func.now(),
        )

    async def retry_later(self, message_id: UUID, *, error: str, due_at: datetime) -> None:
        await self._update(
            message_id,
            locked_until=None,
            due_at=due_at,
            attempts=outbox.c.attempts + 1,
            last_error=error[:MAX_ERROR_LENGTH],
        )

    async def dead_letter(self, message_id: UUID, *, error: str) -> None:
        await self._update(
            message_id,
            status=OutboxStatus.DEAD.value,
            locked_until=None,
            attempts=outbox.c.attempts + 1,
            last_error=error[:MAX_ERROR_LENGTH],
            finished_at=func.now(),
        )

    async def pending_count(self) -> int:
        async with self._statement() as connection:
            query = select(func.count()).where(outbox.c.status == _PENDING)
            return int((await connection.execute(query)).scalar_one())

    async def oldest_due(self, now: datetime) -> datetime | None:
        async with self._statement() as connection:
            query = select(func.min(outbox.c.due_at)).where(
                outbox.c.status == _PENDING, outbox.c.due_at <= now
            )
            result: datetime | None = (await connection.execute(query)).scalar_one()
            return result

    async def next_due(self, now: datetime) -> datetime | None:
        async with self._statement() as connection:
            query = select(func.min(outbox.c.due_at)).where(
                outbox.c.status == _PENDING,
                or_(outbox.c.locked_until.is_(None), outbox.c.locked_until < now),
            )
            result: datetime | None = (await connection.execute(query)).scalar_one()
            return result
