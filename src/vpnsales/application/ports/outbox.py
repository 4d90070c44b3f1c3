"""Transactional outbox: side effects recorded with the state change, executed later.

A use case adds messages inside its unit of work; they become visible on commit. The
worker claims due messages with a lease (``FOR UPDATE SKIP LOCKED`` + ``locked_until``),
executes them idempotently and completes them. A message whose lease expires (its worker
died) is claimed again. After ``max_attempts`` failures it is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID


class OutboxKind(StrEnum):
    SYNC_ACCESS = "sync_access"
    """Converge one access to its desired state (create/update/enable/disable/delete)."""
    REVOKE_ACCESS = "revoke_access"
    """Issue a new subscription link for an access."""
    NOTIFY = "notify"
    """Deliver a notification intent to a customer."""
    ADMIN_ALERT = "admin_alert"
    """Tell the seller something needs attention."""
    PROVIDER_CANCEL = "provider_cancel"
    """Cancel a payment at its provider (stale pending payments)."""
    PROVIDER_REFUND = "provider_refund"
    """Refund a payment at its provider (admin-initiated refunds)."""
    SEND_MESSAGE = "send_message"
    """Send an arbitrary (admin-written) message to a customer."""


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    id: UUID
    kind: OutboxKind
    payload: Mapping[str, Any]
    """JSON-compatible parameters (ids as strings)."""
    created_at: datetime
    due_at: datetime
    dedup_key: str | None = None
    """When set, a second message with the same key is silently dropped."""
    attempts: int = 0
    last_error: str | None = None
    status: OutboxStatus = OutboxStatus.PENDING


class Withdrawal(StrEnum):
    """What :meth:`Outbox.withdraw` found."""

    WITHDRAWN = "withdrawn"
    """The message was waiting (not due yet, due, or its worker's lease had expired): it
    is marked done and will never run."""
    RUNNING = "running"
    """A worker holds its lease: it may be executing right now (it was left alone)."""
    ABSENT = "absent"
    """No pending message with that key: never staged, already ran, or dead-lettered."""


class Outbox(Protocol):
    """Used by interactors, inside their unit of work."""

    async def add(self, message: OutboxMessage) -> None:
        """Stage a message; a duplicate ``dedup_key`` is ignored."""
        ...

    async def add_all(self, messages: Iterable[OutboxMessage]) -> None:
        """``add`` each, in order (one round trip on PostgreSQL): a message whose
        ``dedup_key`` is already stored, staged, or used by an earlier message of the
        same call is ignored."""
        for message in messages:
            await self.add(message)

    async def withdraw(self, dedup_key: str, now: datetime) -> Withdrawal:
        """Take back the pending message staged under ``dedup_key`` unless a worker is
        executing it (the row is locked until the caller's commit, so a worker cannot
        claim it meanwhile). Used when a later effect supersedes an earlier one."""
        ...


class OutboxConsumer(Protocol):
    """Used by the worker. Each call is its own short transaction."""

    async def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Lease up to ``limit`` due pending messages (skipping ones leased by others)."""
        ...

    async def complete(self, message_id: UUID) -> None: ...

    async def retry_later(self, message_id: UUID, *, error: str, due_at: datetime) -> None:
        """Release the lease, count the attempt and schedule the next try."""
        ...

    async def dead_letter(self, message_id: UUID, *, error: str) -> None: ...

    async def pending_count(self) -> int: ...

    async def oldest_due(self, now: datetime) -> datetime | None:
        """For lag metrics."""
        ...

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest due time among pending messages no worker holds at ``now`` (a
        deferred message, a retry's backoff; in the past if one fell due meanwhile), so
        the worker can wake up for it."""
        ...


class TaskKicker(Protocol):
    """Nudges the worker right after a commit that added outbox messages.

    Best effort: if the kick is lost, the periodic safety net drains the outbox.
    """

    async def kick(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter; dead-letter after ``max_attempts``."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=30)
    jitter: float = 0.5
    extra: Mapping[str, Any] = field(default_factory=dict)

    def delay(self, attempt: int, rnd: float) -> timedelta:
        """Delay before attempt ``attempt + 1`` (``attempt`` >= 1); ``rnd`` in [0, 1)."""
        raw = min(self.cap, self.base * (1 << max(attempt - 1, 0)))
        return raw * (1 - self.jitter + self.jitter * rnd)
