"""Glue from outbox messages to the executor use cases (used at composition)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from vpnsales.application.ports.outbox import OutboxMessage

C = TypeVar("C")


class Route(Generic[C]):
    """An ``OutboxHandler``: parse the payload into the command, run the use case."""

    def __init__(
        self, parse: Callable[[OutboxMessage], C], run: Callable[[C], Awaitable[object]]
    ) -> None:
        self._parse = parse
        self._run = run

    async def __call__(self, message: OutboxMessage) -> None:
        await self._run(self._parse(message))
