"""``FailSoftStorage``: the bot's FSM storage while its backend (Redis) is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from redis.exceptions import ConnectionError as RedisConnectionError

from vpnsales.entrypoints.bot.storage import FailSoftStorage, StateUnavailable
from vpnsales.testing.clock import ManualTimer

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
OTHER = StorageKey(bot_id=1, chat_id=43, user_id=43)


class Flow(StatesGroup):
    typing = State()


class FlakyBackend(MemoryStorage):
    """A memory storage that fails like an unreachable Redis while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.hang = False

    async def _check(self) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if self.down:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    async def get_state(self, key: StorageKey) -> str | None:
        await self._check()
        return await super().get_state(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._check()
        await super().set_state(key, state)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        await self._check()
        return await super().get_data(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._check()
        await super().set_data(key, data)


@pytest.fixture
def backend() -> FlakyBackend:
    return FlakyBackend()


@pytest.fixture
def clock() -> ManualTimer:
    return ManualTimer(1000.0)


@pytest.fixture
def storage(backend: FlakyBackend, clock: ManualTimer) -> FailSoftStorage:
    return FailSoftStorage(backend, warn_every=60, clock=clock)


async def test_reads_pass_through_while_the_backend_is_up(storage: FailSoftStorage) -> None:
    await storage.set_state(KEY, Flow.typing)
    await storage.update_data(KEY, {"promo": "SPRING"})

    assert await storage.get_state(KEY) == Flow.typing.state
    assert await storage.get_data(KEY) == {"promo": "SPRING"}
    assert await storage.get_value(KEY, "promo") == "SPRING"


async def test_reads_answer_no_state_and_no_data_while_the_backend_is_down(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    await storage.set_state(KEY, Flow.typing)
    await storage.set_data(KEY, {"promo": "SPRING"})
    backend.down = True

    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    assert await storage.get_value(KEY, "promo", "none") == "none"


async def test_storing_a_state_while_down_refuses_instead_of_pretending(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    backend.down = True

    with pytest.raises(StateUnavailable):
        await storage.set_state(KEY, Flow.typing)
    with pytest.raises(StateUnavailable):
        await storage.update_data(KEY, {"promo": "SPRING"})
    with pytest.raises(StateUnavailable):
        await storage.set_data(KEY, {"order": "o:1"})


async def test_clearing_while_down_is_dropped_without_an_error(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    backend.down = True

    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await storage.update_data(KEY, {"promo": None}) == {"promo": None}


async def test_a_step_cleared_during_the_outage_does_not_come_back_with_the_backend(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    await storage.set_state(KEY, Flow.typing)
    await storage.set_data(KEY, {"order": "o:1", "promo": "SPRING", "ack": True})
    await storage.set_state(OTHER, Flow.typing)
    backend.down = True
    await storage.set_state(KEY, None)  # e.g. /start during the outage
    await storage.update_data(KEY, {"promo": None})

    backend.down = False

    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {"order": "o:1", "promo": None, "ack": True}
    assert await storage.get_state(OTHER) == Flow.typing.state  # untouched


async def test_a_full_clear_during_the_outage_is_applied_when_the_backend_returns(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    await storage.set_state(KEY, Flow.typing)
    await storage.set_data(KEY, {"order": "o:1"})
    backend.down = True
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    backend.down = False

    await storage.set_state(KEY, Flow.typing)  # a new step right after the outage
    assert await storage.get_state(KEY) == Flow.typing.state
    assert await storage.get_data(KEY) == {}


async def test_state_works_again_once_the_backend_is_back(
    storage: FailSoftStorage, backend: FlakyBackend
) -> None:
    backend.down = True
    assert await storage.get_state(KEY) is None
    backend.down = False

    await storage.set_state(KEY, Flow.typing)
    await storage.update_data(KEY, {"promo": "SPRING"})

    assert await storage.get_state(KEY) == Flow.typing.state
    assert await storage.get_data(KEY) == {"promo": "SPRING"}


async def test_a_hanging_backend_counts_as_down(backend: FlakyBackend) -> None:
    storage = FailSoftStorage(backend, timeout=0.01)
    backend.hang = True

    assert await storage.get_state(KEY) is None
    with pytest.raises(StateUnavailable):
        await storage.set_state(KEY, Flow.typing)


async def test_an_outage_is_logged_once_then_rate_limited_then_its_end(
    storage: FailSoftStorage,
    backend: FlakyBackend,
    clock: ManualTimer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="vpnsales.bot.storage")
    backend.down = True

    for _ in range(50):
        await storage.get_state(KEY)
    assert len(caplog.records) == 1
    assert "unavailable" in caplog.records[0].getMessage()

    clock.now += 61
    await storage.get_state(KEY)
    assert len(caplog.records) == 2
    assert "50 failed calls" in caplog.records[1].getMessage()

    backend.down = False
    await storage.get_state(KEY)
    await storage.get_state(KEY)
    assert len(caplog.records) == 3
    assert "available again" in caplog.records[2].getMessage()


async def test_close_closes_the_backend(storage: FailSoftStorage) -> None:
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    storage.inner.close = close  # type: ignore[method-assign]
    await storage.close()
    assert closed == [True]
