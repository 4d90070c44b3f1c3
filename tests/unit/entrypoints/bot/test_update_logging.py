"""The update's own log line: slow updates always, every update only when asked; the
ids reach every line logged while the update is handled, and only then."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram.types import Update

from vpnsales.entrypoints.bot.middlewares.logging import UpdateLoggingMiddleware
from vpnsales.entrypoints.logs import current_context
from vpnsales.testing.clock import ManualTimer
from vpnsales.testing.logs import json_lines


def an_update(update_id: int = 77) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "text": "/start",
            },
        }
    )


async def run(middleware: UpdateLoggingMiddleware, clock: ManualTimer, seconds: float) -> list[Any]:
    seen: list[Any] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        seen.append(dict(current_context()))
        logging.getLogger("vpnsales.test").info("inside")
        clock.advance(seconds)
        return "done"

    user = an_update().message.from_user  # type: ignore[union-attr]
    assert await middleware(handler, an_update(), {"event_from_user": user}) == "done"
    seen.append(dict(current_context()))
    return seen


async def test_the_ids_reach_every_line_inside_the_update_and_leave_with_it() -> None:
    clock = ManualTimer(100.0)
    inside, after = await run(UpdateLoggingMiddleware(slow_seconds=1.0, clock=clock), clock, 0.2)
    assert inside == {"update_id": "77", "user_id": "5"}
    assert after == {}


@pytest.mark.parametrize(
    ("every", "seconds", "expected"),
    [
        (False, 0.2, []),
        (False, 1.5, [("warning", "slow update 77 message in 1500.0 ms")]),
        (True, 0.2, [("info", "update 77 message in 200.0 ms")]),
        (True, 1.5, [("info", "update 77 message in 1500.0 ms")]),
    ],
)
async def test_the_update_line(every: bool, seconds: float, expected: list[Any]) -> None:
    clock = ManualTimer(100.0)
    middleware = UpdateLoggingMiddleware(every_update=every, slow_seconds=1.0, clock=clock)
    with json_lines("vpnsales.bot.updates") as got:
        await run(middleware, clock, seconds)
    assert [(x["level"], x["msg"]) for x in got] == expected
    for line in got:
        assert (line["update_id"], line["user_id"]) == ("77", "5")


async def test_an_update_that_raises_is_logged_when_slow_and_the_ids_leave() -> None:
    clock = ManualTimer(100.0)

    async def failing(event: Any, data: dict[str, Any]) -> None:
        clock.advance(2.0)
        raise RuntimeError("boom")

    with json_lines("vpnsales.bot.updates") as lines, pytest.raises(RuntimeError):
        await UpdateLoggingMiddleware(clock=clock)(failing, an_update(), {})
    (line,) = lines
    assert line["msg"] == "slow update 77 message in 2000.0 ms"
    assert "user_id" not in line
    assert current_context() == {}
