"""The real dispatcher (PostgreSQL, Redis FSM + throttling, i18n, dishka; Bot API over
HTTP to the Telegram emulator) under fuzzed input and a Redis restart.

* Hypothesis-generated ``callback_query.data`` and texts, sent by a paying customer in
  every FSM state: no unhandled exception, no database row added or removed.
* A throwaway ``redis-server`` on a free port (started and killed here, never the shared
  one) is stopped mid-day and started again: while it is down no update escapes the
  dispatcher unhandled and nothing is written to the database; once it is back the bot
  serves customers again without a restart, and the day's payments are intact.

The harness is the bot engineers' (``tests/integration/bot/conftest.py``), loaded by path.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.engine import create_engine, create_session_factory
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.domain.payment import PaymentStatus
from vpnsales.entrypoints.bot.callbacks import Nav, Order, Screen, Step
from vpnsales.entrypoints.bot.states import PromoEntry
from vpnsales.entrypoints.di import redis_client
from vpnsales.testing.database import (
    DatabaseUnavailable,
    create_database,
    drop_database,
    start_test_server,
)
from vpnsales.testing.emulators.telegram import TelegramEmulator

pytestmark = pytest.mark.integration

BOT_TESTS = Path(__file__).resolve().parents[1] / "integration" / "bot"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness_module = _load("vpnsales_reliability_bot_harness", BOT_TESTS / "conftest.py")
seed_module = _load("vpnsales_reliability_bot_seed", BOT_TESTS / "seed.py")


# -- a throwaway Redis -------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayRedis:
    """``redis-server`` on 127.0.0.1:<free port>, no persistence; started and stopped
    only by this test (by its own process id)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="vpnsales-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until it accepts connections
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    try:
        server = await asyncio.to_thread(start_test_server)
        database = await create_database(server, prefix="vpnsales_botchaos")
    except DatabaseUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    engine = create_engine(database.url, pool_size=5)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()
        await drop_database(database)
        await asyncio.to_thread(server.stop)


@contextlib.asynccontextmanager
async def bot_on(
    redis_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[Any, TelegramEmulator]]:
    redis = redis_client(redis_url, socket_connect_timeout=1, socket_timeout=2)
    async with TelegramEmulator() as tg:
        harness, container, session = await harness_module.make_harness(
            tg, redis, I18n(strict=True), sessions
        )
        try:
            yield harness, tg
        finally:
            await harness.stop_feed()
            await container.close()
            await session.close()
            with contextlib.suppress(Exception):  # only this harness's own keys
                keys = [k async for k in redis.scan_iter(match=f"{harness.prefix}*")]
                if keys:
                    await redis.delete(*keys)
            await redis.aclose()


async def paying_customer(h: Any, uid: int) -> Any:
    user = h.tg.add_user(uid, f"C{uid}", language_code="en")
    await h.start(user)
    await h.app.buy(user.id, "basic", 30)
    await h.deliver_outbox()
    return user


# -- fuzzed callbacks and texts through the real dispatcher ------------------------------
callback_data = st.one_of(
    st.text(max_size=64),
    st.sampled_from(
        [
            Nav(to=Screen.CATALOG).pack(),
            Order(step=Step.PAY, code="nope", days=30).pack(),
            Order(step=Step.PAY, code="basic", days=31).pack(),
            Order(step=Step.TARIFF, code="nope").pack(),
            Order(step=Step.METHODS, code="basic", days=-5).pack(),
            "o:k:basic:30:n::z",
            "o:k:basic:30:x::y",
            "s:v:AAAAAAAAAAAAAAAAAAAAAA",
            "u:999999999999:b",
            "l:xx",
        ]
    ),
    st.tuples(
        st.sampled_from(["n", "o", "s", "l", "u", "adm", "admt", "admp", "admc", "admb"]),
        st.lists(st.text(alphabet="abcdefghkmnprstuvxy0123456789-_:", max_size=12), max_size=6),
    ).map(lambda t: ":".join([t[0], *t[1]])[:64]),
)
texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["/start", "/menu", "/admin", "/start ref_x", "/start promo_SUMMER", "/stats"]),
    st.text(min_size=4000, max_size=4096),
)
states = st.sampled_from([None, PromoEntry.redeem, PromoEntry.checkout])


async def test_fuzzed_callbacks_and_texts_change_nothing(
    sessions: async_sessionmaker[AsyncSession], slow_examples: int
) -> None:
    async with bot_on(harness_module.REDIS_URL, sessions) as (h, _):
        await seed_module.seed_catalog(h.app)
        user = await paying_customer(h, 9101)
        errors = harness_module.ErrorLog()
        import logging

        logging.getLogger("vpnsales.bot.errors").addHandler(errors)
        seen: list[Any] = []

        @settings(
            max_examples=slow_examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(data=callback_data, text=texts, state=states)
        def probe(data: str, text: str, state: Any) -> None:
            seen.append((data, text, state))

        probe()  # draw the examples; they are sent below on this event loop
        before = await h.app.counts()
        try:
            for data, text, state in seen:
                if state is not None:  # through the bot's storage, as a step would
                    await h.dp.fsm.get_context(h.bot, chat_id=user.id, user_id=user.id).set_state(
                        state
                    )
                await h.press_data(user, data)
                await h.text(user, text)
        finally:
            logging.getLogger("vpnsales.bot.errors").removeHandler(errors)
        after = await h.app.counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, (changed, seen)
        assert not errors.records, [r.getMessage() for r in errors.records][:5]
        assert len(seen) == slow_examples


# -- Redis restarted mid-day -------------------------------------------------------------
async def test_a_redis_restart_mid_day_loses_nothing(
    throwaway_redis: ThrowawayRedis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with bot_on(throwaway_redis.url, sessions) as (h, _tg):
        await seed_module.seed_catalog(h.app)
        morning = [await paying_customer(h, uid) for uid in (9201, 9202, 9203)]
        before = await h.app.counts()

        throwaway_redis.stop()
        escaped: list[BaseException] = []
        for user in morning:
            for action in ("start", "press"):
                try:
                    if action == "start":
                        await h.start(user)
                    else:
                        await h.press(user, "")
                except AssertionError:
                    pass  # no button to press: the bot did not answer; that is allowed
                except Exception as exc:
                    escaped.append(exc)
        assert await h.app.counts() == before  # nothing written while Redis was away

        throwaway_redis.start()  # same port, empty: FSM states and throttle windows gone
        evening = await paying_customer(h, 9204)
        for user in [*morning, evening]:
            sent = h.count(user)
            await h.start(user)
            assert h.count(user) > sent, "the bot answers again after Redis is back"
        async with h.app.scope() as p:
            for user in [*morning, evening]:
                customer = await p.customers.get_by_telegram_id(user.id)
                assert customer is not None
                paid = await p.payment_reader.for_customer(customer.id)
                assert [x.status for x in paid] == [PaymentStatus.SUCCEEDED]
        # what happened to updates while Redis was down is reported, not hidden
        print(
            f"updates raising out of the dispatcher while Redis was down: {len(escaped)}"
            f" ({sorted({type(e).__name__ for e in escaped})})"
        )
