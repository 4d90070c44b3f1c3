"""``cancel_and_wait``: shutting down never hangs on a task that swallowed its
cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from vpnsales.entrypoints.allinone import cancel_and_wait


async def forever() -> None:
    await asyncio.Event().wait()


async def swallows_once() -> None:
    with contextlib.suppress(asyncio.CancelledError):  # a library racing the cancel
        await asyncio.Event().wait()
    await asyncio.Event().wait()


async def ignores_every_cancellation(stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()


async def test_plain_tasks_end_at_the_first_cancellation(caplog: pytest.LogCaptureFixture) -> None:
    tasks = [asyncio.create_task(forever()) for _ in range(3)]
    await asyncio.sleep(0)
    await cancel_and_wait(tasks, wait=5)
    assert all(task.cancelled() for task in tasks)
    assert not caplog.records


async def test_a_swallowed_cancellation_is_repeated(caplog: pytest.LogCaptureFixture) -> None:
    task = asyncio.create_task(swallows_once(), name="feed")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await cancel_and_wait([task], wait=0.05)
    assert task.cancelled()
    assert [r.getMessage() for r in caplog.records] == [
        "feed did not stop when cancelled; cancelling it again"
    ]


async def test_a_task_that_will_not_stop_is_left_behind(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(ignores_every_cancellation(stop), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await cancel_and_wait([task], rounds=3, wait=0.01)
    assert not task.done()
    assert caplog.records[-1].levelno == logging.ERROR
    assert "stubborn ignored cancellation" in caplog.records[-1].getMessage()
    stop.set()
    await task
