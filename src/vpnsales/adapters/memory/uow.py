"""Unit of work over :class:`MemoryDatabase`.

* Writes are staged and applied on ``commit``; ``rollback`` drops them ("rolls back
  unless committed").
* The first repository call acquires the database lock; it is held until ``commit`` or
  ``rollback``. Concurrent units of work therefore run one after another, like
  serializable transactions (``for_update`` is implied).
* After ``commit``/``rollback`` the same unit of work can be used again: the next
  repository call starts a new transaction.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

from vpnsales.adapters.memory.database import MemoryDatabase

_DELETED: Any = object()


class MemoryUnitOfWork:
    """Implements ``UnitOfWork``."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self._staged: dict[str, dict[Any, Any]] = {}
        self._active = False

    @property
    def active(self) -> bool:
        return self._active

    async def begin(self) -> None:
        """Called by every repository method; idempotent within a transaction."""
        if self._active:
            return
        try:
            async with asyncio.timeout(self.db.lock_timeout):
                await self.db.lock.acquire()
        except TimeoutError:
            raise RuntimeError(
                "memory unit of work waited too long for the database lock: another "
                "unit of work was left open (missing commit/rollback?)"
            ) from None
        self._active = True
        self._staged = {}

    async def commit(self) -> None:
        if not self._active:
            return
        for table, rows in self._staged.items():
            target = self.db.tables.setdefault(table, {})
            for key, row in rows.items():
                if row is _DELETED:
                    target.pop(key, None)
                else:
                    target[key] = row
        self.db.commits += 1
        self._finish()

    async def rollback(self) -> None:
        if not self._active:
            return
        self.db.rollbacks += 1
        self._finish()

    def _finish(self) -> None:
        self._staged = {}
        self._active = False
        self.db.lock.release()

    # -- used by repositories (inside an active transaction) --------------------------
    def get(self, table: str, key: Any) -> Any:
        """A private copy of the row, or ``None``."""
        staged = self._staged.get(table, {})
        row = staged[key] if key in staged else self.db.tables.setdefault(table, {}).get(key)
        if row is None or row is _DELETED:
            return None
        return copy.deepcopy(row)

    def rows(self, table: str) -> Iterator[Any]:
        """Current rows (committed + staged), NOT copied: callers copy what they return."""
        for _, row in self.items(table):
            yield row

    def items(self, table: str) -> Iterator[tuple[Any, Any]]:
        staged = self._staged.get(table, {})
        committed = self.db.tables.setdefault(table, {})
        for key, row in committed.items():
            current = staged.get(key, row)
            if current is not _DELETED:
                yield key, current
        for key, row in staged.items():
            if key not in committed and row is not _DELETED:
                yield key, row

    def put(self, table: str, key: Any, row: Any) -> None:
        self._staged.setdefault(table, {})[key] = copy.deepcopy(row)

    def delete(self, table: str, key: Any) -> None:
        self._staged.setdefault(table, {})[key] = _DELETED

    def exists(self, table: str, key: Any) -> bool:
        staged = self._staged.get(table, {})
        if key in staged:
            return staged[key] is not _DELETED
        return key in self.db.tables.setdefault(table, {})
