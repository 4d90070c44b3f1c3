"""The real bot: aiogram Dispatcher from ``build_dispatcher`` fed real ``Update`` objects;
Bot API calls go over HTTP to the Telegram emulator; FSM state and throttling in the real
Redis; the real PostgreSQL (every repository and reader of ``adapters.persistence``);
interactors from ``Interactors(ports)`` provided per update by a dishka provider.

``PostgresApp`` is the in-memory test app (``vpnsales.testing.app``) with its scopes on
PostgreSQL: its helpers (seeding, ``buy``, the worker's outbox runner) work unchanged.
Payment gateways and the panel are the library's fakes here; ``test_postgres_journey``
runs the same journey through the real container against the HTTP emulators.
The worker's real outbox use cases deliver notifications through the real
``TelegramNotifier`` to the same emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from dishka import AsyncContainer, make_async_container
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    tables,
)
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.adapters.telegram.notifier import TelegramNotifier
from vpnsales.adapters.telegram.sender import RateLimitedSender
from vpnsales.adapters.telegram.support import SupportDesk
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.bot import BotConfig, attach_container, build_dispatcher, fsm_storage
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.bot.retry import RetryAfterMiddleware
from vpnsales.entrypoints.bot.state_mirror import StateChangeFeed
from vpnsales.entrypoints.di import redis_client
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.bot import InMemoryInteractors, ScopedCustomerReader
from vpnsales.testing.emulators.telegram import SentMessage, TelegramEmulator, TgUser
from vpnsales.testing.postgres import PostgresApp, postgres_app
from vpnsales.testing.waiting import wait_until

REDIS_URL = "redis://127.0.0.1:6379/0"


class NoAdmins:
    """Stands in for the admin panel's ``AdminRoster``: nobody is an admin here."""

    def invalidate(self) -> None:
        return None

    async def role(self, telegram_id: int) -> None:
        return None


PROVIDERS = (PaymentProvider.YOOKASSA, PaymentProvider.STARS, PaymentProvider.CRYPTOPAY)


@dataclass
class Harness:
    tg: TelegramEmulator
    bot: Bot
    dp: Dispatcher
    app: InMemoryApp
    redis: Redis
    prefix: str
    retry: RetryAfterMiddleware
    config: BotConfig
    maintenance: list[bool] = field(default_factory=lambda: [False])
    states: StateChangeFeed | None = None
    """Keeps the FSM state mirror current, as in the serving processes."""
    feed_task: asyncio.Task[None] | None = None

    async def stop_feed(self) -> None:
        if self.feed_task is not None:
            self.feed_task.cancel()
            await asyncio.wait([self.feed_task])
            self.feed_task = None

    async def watching_states(self, timeout: float = 10.0) -> None:
        """Wait until the FSM state feed has subscribed (the mirror serves states)."""
        states = self.states
        assert states is not None
        await wait_until(lambda: states.watched, what="the FSM state feed", timeout=timeout)

    # -- sending updates -----------------------------------------------------------
    async def send(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def start(self, user: TgUser, args: str = "") -> None:
        await self.send(self.tg.command(user, "start", args))

    async def text(self, user: TgUser, text: str) -> None:
        await self.send(self.tg.text_message(user, text))

    async def press(self, user: TgUser, label: str) -> None:
        """Press the newest button whose label contains ``label``."""
        message_id, data = self.find_button(user, label)
        await self.send(self.tg.callback_query(user, data, message=message_id))

    async def press_data(self, user: TgUser, data: str) -> None:
        message = self.tg.sent_messages(user.id)[-1]
        await self.send(self.tg.callback_query(user, data, message=message))

    # -- reading what the customer sees -------------------------------------------
    def current(self, user: TgUser, message_id: int) -> dict[str, Any]:
        msg = self.tg.message(user.id, message_id)
        assert msg is not None
        return msg

    def screen(self, user: TgUser) -> str:
        """The text of the newest bot message as it reads now (edits applied)."""
        last = self.tg.sent_messages(user.id)[-1]
        msg = self.current(user, last.message_id)
        return str(msg.get("text") or msg.get("caption") or "")

    def buttons(self, user: TgUser, message_id: int | None = None) -> list[dict[str, Any]]:
        if message_id is None:
            message_id = self.tg.sent_messages(user.id)[-1].message_id
        markup = self.current(user, message_id).get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def labels(self, user: TgUser) -> list[str]:
        return [b["text"] for b in self.buttons(user)]

    def find_button(self, user: TgUser, label: str) -> tuple[int, str]:
        for sent in reversed(self.tg.sent_messages(user.id)):
            for b in self.buttons(user, sent.message_id):
                if label in b["text"] and "callback_data" in b:
                    return sent.message_id, b["callback_data"]
        raise AssertionError(f"no button {label!r}; last: {self.labels(user)}")

    def url_button(self, user: TgUser, label: str) -> str:
        for sent in reversed(self.tg.sent_messages(user.id)):
            for b in self.buttons(user, sent.message_id):
                if label in b["text"] and "url" in b:
                    return str(b["url"])
        raise AssertionError(f"no url button {label!r}")

    def count(self, user: TgUser) -> int:
        return len(self.tg.sent_messages(user.id))

    async def deliver_outbox(self) -> int:
        """What the worker does after a commit (its kick), run now."""
        return await self.app.run_outbox()

    async def payment(self, payment_id: Any) -> Any:
        async with self.app.scope() as p:
            return await p.payments.get(payment_id)

    async def outbox_kinds(self) -> list[str]:
        async with self.app.sessions() as session:  # type: ignore[attr-defined]
            rows = await session.execute(select(tables.outbox.c.kind))
            return [str(r[0]) for r in rows]

    async def access_card(self, user: TgUser, after: int = 0) -> SentMessage:
        await self.deliver_outbox()
        return await self.tg.wait_for_message(
            user.id, lambda m: m.method == "sendPhoto" and m.photo is not None, after=after
        )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = redis_client(REDIS_URL)  # as the processes make it
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment
        await client.aclose()
        pytest.skip(f"Redis unavailable: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return I18n(strict=True)


async def make_harness(
    tg: TelegramEmulator,
    redis: Redis,
    i18n: I18n,
    sessions: async_sessionmaker[AsyncSession],
    *,
    throttle_rate: float = 1000.0,
    admin_ids: frozenset[int] = frozenset(),
    log_every_update: bool = False,
    **app_kwargs: Any,
) -> tuple[Harness, AsyncContainer, AiohttpSession]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    bot = Bot(tg.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    retry = RetryAfterMiddleware(max_attempts=3, max_wait=5)
    bot.session.middleware(retry)
    app = postgres_app(sessions, **app_kwargs)
    sender = RateLimitedSender(bot, rate=1000, per_chat_interval=0, per_group_interval=0)
    app.notifier = TelegramNotifier(sender, i18n)  # type: ignore[assignment]
    prefix = f"vpnsales-test-{uuid.uuid4().hex[:8]}"
    config = BotConfig(
        bot_username=tg.bot_username,
        support_contact="@vpn_support",
        faq=("Custom answer <b>not</b> markup",),
        providers=PROVIDERS,
        admin_ids=admin_ids,
        throttle_rate=throttle_rate,
        log_every_update=log_every_update,
    )
    flag = [False]

    async def maintenance() -> bool:
        return flag[0]

    storage = fsm_storage(redis, prefix)
    dp = build_dispatcher(
        i18n=i18n,
        redis=redis,
        customers=ScopedCustomerReader(app),
        config=config,
        maintenance=maintenance,
        key_prefix=prefix,
        storage=storage,
    )
    states = StateChangeFeed(redis, storage.mirror, min_backoff=0.05, max_backoff=0.5)
    singletons = {
        AdminRoster: NoAdmins(),
        SupportDesk: SupportDesk(bot, redis, None, prefix=prefix),
    }
    container = make_async_container(InMemoryInteractors(app, singletons))
    attach_container(dp, container)
    harness = Harness(
        tg=tg,
        bot=bot,
        dp=dp,
        app=app,
        redis=redis,
        prefix=prefix,
        retry=retry,
        config=config,
        maintenance=flag,
        states=states,
        feed_task=asyncio.create_task(states.run(), name="fsm-state-feed"),
    )
    return harness, container, session


@pytest.fixture
async def make_bot(
    tg: TelegramEmulator,
    redis: Redis,
    i18n: I18n,
    clean_db: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Callable[..., Any]]:
    made: list[tuple[Harness, AsyncContainer, AiohttpSession]] = []

    async def factory(**kwargs: Any) -> Harness:
        made.append(await make_harness(tg, redis, i18n, clean_db, **kwargs))
        return made[-1][0]

    yield factory
    for harness, container, session in made:
        await harness.stop_feed()
        await container.close()
        if session._session is not None:
            await session._session.close()
        keys = [k async for k in redis.scan_iter(match=f"{harness.prefix}*")]
        if keys:
            await redis.delete(*keys)


@pytest.fixture
async def h(make_bot: Callable[..., Any]) -> Harness:
    harness: Harness = await make_bot()
    return harness


class ErrorLog(logging.Handler):
    """Unhandled errors the bot translated for the customer (``vpnsales.bot.errors``)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.expected = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def errors() -> Any:
    """Every test fails on an unhandled error in a handler unless it expects one."""
    handler = ErrorLog()
    logger = logging.getLogger("vpnsales.bot.errors")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    if not handler.expected:
        assert not handler.records, [r.getMessage() for r in handler.records]


_TAG = re.compile(r"<[^>]*>")


def plain(text: str) -> str:
    return _TAG.sub("", text)


@contextlib.asynccontextmanager
async def no_new_rows(app: InMemoryApp) -> AsyncIterator[None]:
    """Assert the block adds or removes no row in any table."""
    assert isinstance(app, PostgresApp)
    before = await app.counts()
    yield
    assert await app.counts() == before
