"""The bot keeps answering while its Redis is down, and its FSM works again once Redis
is back: a Redis server of this test's own (a temporary directory, a free port) is
killed and restarted; the shared Redis is never touched."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.entrypoints.di import redis_client
from vpnsales.testing.builders import a_promo
from vpnsales.testing.emulators.telegram import TelegramEmulator

from .conftest import Harness, make_harness
from .seed import seed_catalog

START_DEADLINE = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A ``redis-server`` child process on its own port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:  # pragma: no cover - environment
            pytest.skip("redis-server is not installed")
        self.process = await asyncio.create_subprocess_exec(
            server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
            str(self.directory), "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        deadline = asyncio.get_running_loop().time() + START_DEADLINE
        try:
            while True:
                try:
                    await client.ping()
                    return
                except Exception:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            await self.process.wait()
            self.process = None


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    yield server
    await server.kill()


@pytest.fixture
async def outage_bot(
    own_redis: OwnRedis,
    tg: TelegramEmulator,
    i18n: I18n,
    clean_db: async_sessionmaker[AsyncSession],
) -> AsyncIterator[tuple[Harness, OwnRedis]]:
    await own_redis.start()
    client = redis_client(own_redis.url, socket_connect_timeout=1, socket_timeout=1)
    harness, container, session = await make_harness(tg, client, i18n, clean_db)
    try:
        yield harness, own_redis
    finally:
        await harness.stop_feed()
        await container.close()
        if session._session is not None:
            await session._session.close()
        with contextlib.suppress(Exception):
            await client.aclose()


def last_alert(h: Harness) -> Any:
    return list(h.tg.callback_answers.values())[-1]


async def test_the_bot_answers_while_redis_is_down_and_state_works_once_it_is_back(
    outage_bot: tuple[Harness, OwnRedis],
) -> None:
    h, redis = outage_bot
    await seed_catalog(h.app)
    await h.app.add_promo(a_promo("SAVE10", percent=10))
    user = h.tg.add_user(7101, "Vera", language_code="en")
    await h.start(user)
    await h.press(user, "Promo code")  # a step that waits for typed text
    await redis.kill()

    # /start and the menu answer as usual
    before = h.count(user)
    await h.start(user)
    assert h.count(user) > before
    assert "Buy VPN" in " ".join(h.labels(user))
    await h.press(user, "Buy VPN")
    assert "Базовый" in " ".join(h.labels(user))

    # the step's state is unreadable: typed text gets the usual hint, not silence
    before = h.count(user)
    await h.text(user, "SAVE10")
    assert h.count(user) > before
    assert "buttons" in h.screen(user)

    # a step that needs its state remembered says so instead of asking in vain
    await h.start(user)
    await h.press(user, "Promo code")
    answer = last_alert(h)
    assert answer.show_alert
    assert "temporarily unavailable" in (answer.text or "")

    await redis.start()  # Redis is back (empty): the FSM works again

    await h.start(user)
    await h.press(user, "Promo code")
    await h.text(user, "SAVE10")
    assert "SAVE10" in h.screen(user)
    assert "10%" in h.screen(user)
