"""The update's own log line: slow updates always, every update only when asked; the
ids reach every line logged while the update is handled, and only then."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from aiogram.types import Update

from vpnsales.entrypoints.bot.middlewares.logging import UpdateLoggingMiddleware
from vpnsales.entrypoints.logs import JsonFormatter, current_context


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


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


async def run(middleware: UpdateLoggingMiddleware, clock: Clock, seconds: float) -> list[Any]:
    seen: list[Any] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        seen.append(dict(current_context()))
        logging.getLogger("vpnsales.test").info("inside")
        clock.now += seconds
        return "done"

    user = an_update().message.from_user  # type: ignore[union-attr]
    assert await middleware(handler, an_update(), {"event_from_user": user}) == "done"
    seen.append(dict(current_context()))
    return seen


async def test_the_ids_reach_every_line_inside_the_update_and_leave_with_it() -> None:
    clock = Clock()
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
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("vpnsales.bot.updates")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        clock = Clock()
        middleware = UpdateLoggingMiddleware(every_update=every, slow_seconds=1.0, clock=clock)
        await run(middleware, clock, seconds)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    got = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [(x["level"], x["msg"]) for x in got] == expected
    for line in got:
        assert (line["update_id"], line["user_id"]) == ("77", "5")


async def test_an_update_that_raises_is_logged_when_slow_and_the_ids_leave() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("vpnsales.bot.updates")
    logger.addHandler(handler)
    clock = Clock()

    async def failing(event: Any, data: dict[str, Any]) -> None:
        clock.now += 2.0
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            await UpdateLoggingMiddleware(clock=clock)(failing, an_update(), {})
    finally:
        logger.removeHandler(handler)
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert line["msg"] == "slow update 77 message in 2000.0 ms"
    assert "user_id" not in line
    assert current_context() == {}
