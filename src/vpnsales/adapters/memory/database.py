"""The shared in-memory database: committed rows per table, one lock for writers.

Rows are private copies: repositories deep-copy entities in and out, so an entity held
by a use case never aliases stored state. Units of work stage writes and apply them on
``commit`` (see :mod:`.uow`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from vpnsales.application.ports.outbox import OutboxMessage

TABLES = (
    "customers",
    "ledger",
    "tariffs",
    "subscriptions",
    "accesses",
    "payments",
    "promos",
    "redemptions",
    "outbox",
    "audit",
)


@dataclass(slots=True)
class OutboxRow:
    message: OutboxMessage
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    actor_telegram_id: int
    action: str
    target: str
    at: datetime
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None


@dataclass(slots=True)
class MemoryDatabase:
    """Committed state. ``tables[name][key] -> row``; insertion order is kept."""

    tables: dict[str, dict[Any, Any]] = field(default_factory=lambda: {name: {} for name in TABLES})
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by a unit of work from its first repository call until commit/rollback."""
    lock_timeout: float = 10.0
    """A unit of work waiting longer than this raises (a deadlock in a test, usually)."""
    commits: int = 0
    rollbacks: int = 0

    def table(self, name: str) -> dict[Any, Any]:
        return self.tables[name]

    # -- convenient, read-only views for tests (committed state, copies not made) ----
    def outbox_messages(self) -> list[OutboxMessage]:
        return [row.message for row in self.tables["outbox"].values()]

    def outbox_row(self, message_id: UUID) -> OutboxRow:
        row: OutboxRow = self.tables["outbox"][message_id]
        return row
