"""The throttle's Redis script also reads the update's FSM state (``middlewares/fsm.py``):
one round trip for both, the handlers seeing the same state as through the storage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError

from vpnsales.entrypoints.bot.storage import FailSoftStorage
from vpnsales.testing.builders import a_promo
from vpnsales.testing.emulators.telegram import TgUser

from .conftest import Harness
from .seed import seed_catalog


@contextmanager
def redis_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(command, first argument) of every command this process sends, a pipeline's
    commands one by one (the throttle pipelines concurrent updates' scripts)."""
    sent: list[tuple[str, str]] = []
    original = Redis.execute_command
    original_pipeline = Pipeline.execute

    def record(args: tuple[Any, ...]) -> None:
        first = args[1] if len(args) > 1 else ""
        sent.append((str(args[0]).upper(), first.decode() if isinstance(first, bytes) else first))

    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        record(args)
        return await original(self, *args, **options)

    async def execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        for args, _options in self.command_stack:
            record(args)
        return await original_pipeline(self, raise_on_error)

    with monkeypatch.context() as patch:
        patch.setattr(Redis, "execute_command", execute_command)
        patch.setattr(Pipeline, "execute", execute)
        yield sent


async def _waiting_for_a_promo_code(h: Harness, telegram_id: int) -> TgUser:
    await seed_catalog(h.app)
    await h.app.add_promo(a_promo("SAVE10", percent=10))
    user = h.tg.add_user(telegram_id, "Ida", language_code="en")
    await h.start(user)
    await h.press(user, "Promo code")  # a step that waits for typed text
    return user


async def test_the_state_of_a_step_comes_with_the_throttle_in_one_command(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await _waiting_for_a_promo_code(h, 7201)

    with redis_commands(monkeypatch) as sent:
        await h.text(user, "SAVE10")

    assert "SAVE10" in h.screen(user)  # the promo step's handler saw its state
    assert sent[0][0] == "EVALSHA"
    state_reads = [arg for command, arg in sent if command == "GET" and arg.endswith(":state")]
    assert state_reads == []  # the state was not read on its own (the handler's own
    # commands follow: leaving the step, reading its data)


async def test_a_clearing_missed_while_redis_was_down_is_replayed_before_the_state_is_read(
    h: Harness,
) -> None:
    """The step was left while Redis refused the write: once Redis answers again, the old
    step must not come back (the fail-soft storage replays the clearing first)."""
    user = await _waiting_for_a_promo_code(h, 7202)
    storage = h.dp.fsm.storage
    assert isinstance(storage, FailSoftStorage)
    key = h.dp.fsm.get_context(h.bot, chat_id=user.id, user_id=user.id).key
    inner_set_state = storage.inner.set_state

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("down")

    storage.inner.set_state = refused  # type: ignore[method-assign]
    try:
        await storage.set_state(key, None)  # dropped and remembered
    finally:
        storage.inner.set_state = inner_set_state  # type: ignore[method-assign]
    assert await storage.inner.get_state(key) is not None  # Redis still has the old step

    await h.text(user, "SAVE10")

    assert "SAVE10" not in h.screen(user)
    assert "buttons" in h.screen(user)  # no step: the usual hint
    assert await storage.inner.get_state(key) is None
