"""``InFlightUpdates``: a stopping process waits for the updates being handled."""

from __future__ import annotations

import asyncio
from typing import Any

from vpnsales.entrypoints.bot.middlewares.inflight import InFlightUpdates


async def test_idle_only_once_every_update_is_done() -> None:
    in_flight = InFlightUpdates()
    assert await in_flight.wait_idle(0.01)
    release = asyncio.Event()

    async def handler(event: Any, data: dict[str, Any]) -> str:
        await release.wait()
        return "answered"

    first = asyncio.create_task(in_flight(handler, object(), {}))
    second = asyncio.create_task(in_flight(handler, object(), {}))
    await asyncio.sleep(0)
    assert in_flight.count == 2
    assert not await in_flight.wait_idle(0.01)  # still answering: not idle
    waiting = asyncio.create_task(in_flight.wait_idle(5))
    release.set()
    assert await waiting
    assert [await first, await second] == ["answered", "answered"]
    assert in_flight.count == 0


async def test_a_failing_update_is_done_too() -> None:
    in_flight = InFlightUpdates()

    async def handler(event: Any, data: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(in_flight(handler, object(), {}))
    await asyncio.wait([task])
    assert isinstance(task.exception(), RuntimeError)
    assert in_flight.count == 0
    assert await in_flight.wait_idle(0.01)
