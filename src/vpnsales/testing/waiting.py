"""Waiting for asynchronous work in tests: on a condition, with a deadline, never a bare
sleep (the condition is polled every ``interval`` seconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def wait_until(
    condition: Callable[[], Awaitable[object] | object],
    *,
    what: str = "a condition",
    timeout: float = 15.0,
    interval: float = 0.01,
) -> None:
    """Return once ``condition()`` (sync or async) is truthy; ``TimeoutError`` naming
    ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


__all__ = ["wait_until"]
