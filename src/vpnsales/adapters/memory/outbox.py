"""In-memory outbox (staged with the unit of work) and its consumer (leases)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from uuid import UUID

from vpnsales.adapters.memory.database import MemoryDatabase, OutboxRow
from vpnsales.adapters.memory.uow import MemoryUnitOfWork
from vpnsales.application.ports.outbox import OutboxMessage, OutboxStatus, Withdrawal


class MemoryOutbox:
    """Implements ``Outbox``: messages become visible on commit; a duplicate
    ``dedup_key`` (committed or staged, any status) is silently dropped."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, message: OutboxMessage) -> None:
        await self._uow.begin()
        if message.dedup_key is not None:
            for row in self._uow.rows("outbox"):
                if row.message.dedup_key == message.dedup_key:
                    return
        self._uow.put("outbox", message.id, OutboxRow(message))

    async def add_all(self, messages: Iterable[OutboxMessage]) -> None:
        await self._uow.begin()
        taken: set[str] | None = None
        for message in messages:
            if message.dedup_key is not None:
                if taken is None:  # built once per call, only if some message has a key
                    taken = {
                        row.message.dedup_key
                        for row in self._uow.rows("outbox")
                        if row.message.dedup_key is not None
                    }
                if message.dedup_key in taken:
                    continue
                taken.add(message.dedup_key)
            self._uow.put("outbox", message.id, OutboxRow(message))

    async def withdraw(self, dedup_key: str, now: datetime) -> Withdrawal:
        await self._uow.begin()  # holds the database lock: no claim meanwhile
        for key, row in self._uow.items("outbox"):
            if row.message.dedup_key != dedup_key:
                continue
            if row.message.status is not OutboxStatus.PENDING:
                return Withdrawal.ABSENT
            if row.locked_until is not None and row.locked_until > now:  # as ``claim``
                return Withdrawal.RUNNING
            done = dataclasses.replace(
                row.message, status=OutboxStatus.DONE, last_error="withdrawn"
            )
            self._uow.put("outbox", key, OutboxRow(done))
            return Withdrawal.WITHDRAWN
        return Withdrawal.ABSENT


class MemoryOutboxConsumer:
    """Implements ``OutboxConsumer``. Each call is its own short transaction (it takes
    the database lock briefly), like the PostgreSQL adapter's ``SKIP LOCKED`` claims."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def _locked(self) -> asyncio.Lock:
        async with asyncio.timeout(self._db.lock_timeout):
            await self._db.lock.acquire()
        return self._db.lock

    async def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxMessage]:
        lock = await self._locked()
        try:
            rows: list[OutboxRow] = [
                row
                for row in self._db.tables["outbox"].values()
                if row.message.status is OutboxStatus.PENDING
                and row.message.due_at <= now
                and (row.locked_until is None or row.locked_until <= now)
            ]
            rows.sort(key=lambda r: (r.message.due_at, r.message.created_at))
            claimed = rows[:limit]
            for row in claimed:
                row.locked_until = now + lease
            return [row.message for row in claimed]
        finally:
            lock.release()

    async def _update(self, message_id: UUID, change: Callable[[OutboxRow], None]) -> None:
        lock = await self._locked()
        try:
            row: OutboxRow | None = self._db.tables["outbox"].get(message_id)
            if row is not None:
                change(row)
        finally:
            lock.release()

    async def complete(self, message_id: UUID) -> None:
        def done(row: OutboxRow) -> None:
            row.message = dataclasses.replace(row.message, status=OutboxStatus.DONE)
            row.locked_until = None

        await self._update(message_id, done)

    async def retry_later(self, message_id: UUID, *, error: str, due_at: datetime) -> None:
        def again(row: OutboxRow) -> None:
            row.message = dataclasses.replace(
                row.message,
                attempts=row.message.attempts + 1,
                last_error=error[:500],
                due_at=due_at,
            )
            row.locked_until = None

        await self._update(message_id, again)

    async def dead_letter(self, message_id: UUID, *, error: str) -> None:
        def dead(row: OutboxRow) -> None:
            row.message = dataclasses.replace(
                row.message,
                status=OutboxStatus.DEAD,
                attempts=row.message.attempts + 1,
                last_error=error[:500],
            )
            row.locked_until = None

        await self._update(message_id, dead)

    async def pending_count(self) -> int:
        return sum(
            1
            for row in self._db.tables["outbox"].values()
            if row.message.status is OutboxStatus.PENDING
        )

    async def oldest_due(self, now: datetime) -> datetime | None:
        due = [
            row.message.due_at
            for row in self._db.tables["outbox"].values()
            if row.message.status is OutboxStatus.PENDING and row.message.due_at <= now
        ]
        return min(due, default=None)

    async def next_due(self, now: datetime) -> datetime | None:
        due = [
            row.message.due_at
            for row in self._db.tables["outbox"].values()
            if row.message.status is OutboxStatus.PENDING
            and (row.locked_until is None or row.locked_until <= now)
        ]
        return min(due, default=None)


class RecordingTaskKicker:
    """Implements ``TaskKicker``: counts kicks and optionally runs a callback."""

    def __init__(self, on_kick: Callable[[], Awaitable[None]] | None = None) -> None:
        self.kicks = 0
        self._on_kick = on_kick

    async def kick(self) -> None:
        self.kicks += 1
        if self._on_kick is not None:
            await self._on_kick()
