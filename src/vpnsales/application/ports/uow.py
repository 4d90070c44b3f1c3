"""The unit of work: one short database transaction per use-case step.

Repositories injected into an interactor share the same transaction (one per request
scope). Nothing is written until ``commit``; leaving the scope without committing rolls
back. No network call may happen between the first repository call and ``commit``.
"""

from __future__ import annotations

from typing import Protocol


class UnitOfWork(Protocol):
    async def commit(self) -> None:
        """Make every change since the last commit durable, then start afresh."""
        ...

    async def rollback(self) -> None:
        """Discard every change since the last commit."""
        ...
