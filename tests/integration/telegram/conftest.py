"""Fixtures: a fresh Telegram emulator and an aiogram Bot talking to it over HTTP."""

from __future__ import annotations

import asyncio
import heapq
import io
import itertools
from collections.abc import AsyncIterator, Callable

import pytest
import segno
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from vpnsales.testing.emulators.telegram import TelegramEmulator


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


async def close_session(session: AiohttpSession) -> None:
    # AiohttpSession.close() sleeps 250 ms for TLS shutdown; plain HTTP needs none.
    if session._session is not None:
        await session._session.close()


@pytest.fixture
async def make_bot(tg: TelegramEmulator) -> AsyncIterator[Callable[..., Bot]]:
    sessions: list[AiohttpSession] = []

    def factory(token: str | None = None, **kwargs: object) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        sessions.append(session)
        return Bot(token or tg.token, session=session, **kwargs)  # type: ignore[arg-type]

    yield factory
    for session in sessions:
        await close_session(session)


@pytest.fixture
def bot(make_bot: Callable[..., Bot]) -> Bot:
    return make_bot()


@pytest.fixture(scope="session")
def qr_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("vless://00000000-0000-0000-0000-000000000000@vpn.example:443").save(
        buffer, kind="png", scale=4
    )
    return buffer.getvalue()


class VirtualTime:
    """A monotonic clock with an instant ``sleep``: sleepers wake in order of their
    wake-up time, and the clock jumps to it (the ``sleeps`` list records requests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._advancing = False

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._heap, (self.now + max(seconds, 0.0), next(self._seq), future))
        if not self._advancing:
            self._advancing = True
            loop.call_soon(self._advance)
        await future

    def _advance(self) -> None:
        """Wake the earliest sleeper, let it run one step, then wake the next."""
        self._advancing = False
        if not self._heap:
            return
        wake, _, future = heapq.heappop(self._heap)
        self.now = max(self.now, wake)
        if not future.done():
            future.set_result(None)
        if self._heap:
            self._advancing = True
            asyncio.get_running_loop().call_soon(self._advance)


@pytest.fixture
def virtual_time() -> VirtualTime:
    return VirtualTime()
