"""The admin panel against the real composition: ``entrypoints.di`` (with ``di_admin``),
real PostgreSQL and Redis, the bot's real dispatcher (``build_dispatcher`` includes the
admin and support-desk routers), Bot API calls over HTTP to the Telegram emulator and
panel calls to the Remnawave emulator."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.memory import RecordingTaskKicker
from vpnsales.adapters.persistence import SqlCustomerRepository
from vpnsales.adapters.persistence.per_call import PerCallCustomerReader
from vpnsales.adapters.persistence.tables import audit_log
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.domain.customer import Customer, Language
from vpnsales.entrypoints.allinone import MaintenanceFlag
from vpnsales.entrypoints.bot import BotConfig, attach_container, build_dispatcher
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.config import Settings, load_settings
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.di_admin import AdminProvider
from vpnsales.testing.builders import a_customer
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.emulators.telegram import SentMessage, TelegramEmulator, TgUser

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
OWNER = TgUser(100, "Olga", username="owner_olga", language_code="en")
SUPPORT = TgUser(200, "Sam", username="support_sam", language_code="en")
CUSTOMER = TgUser(5001, "Carl", username="carl", language_code="en")
ADMIN_CHAT = -1001000000001
SUPPORT_CHAT = -1001000000002
PANEL = "rw"


class Overrides(Provider):
    scope = Scope.APP

    def __init__(self, clock: SteerableClock, kicker: RecordingTaskKicker) -> None:
        super().__init__()
        self._clock = clock
        self._kicker = kicker

    @provide
    def clock(self) -> Clock:
        return self._clock

    @provide
    def kicker(self) -> TaskKicker:
        return self._kicker


@dataclass
class Stack:
    container: AsyncContainer
    sessions: async_sessionmaker[AsyncSession]
    dp: Dispatcher
    bot: Bot
    tg: TelegramEmulator
    panel: RemnawaveEmulator
    clock: SteerableClock
    settings: Settings
    redis: Redis
    prefix: str
    answers: list[str] = field(default_factory=list)

    async def send(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def command(self, user: TgUser, text: str) -> None:
        await self.send(self.tg.text_message(user, text))

    async def text(self, user: TgUser, text: str) -> None:
        await self.send(self.tg.text_message(user, text))

    async def press_data(self, user: TgUser, data: str) -> str:
        """Press a button with this callback data; returns the callback query id."""
        messages = self.tg.sent_messages(user.id)
        update = self.tg.callback_query(user, data, message=messages[-1] if messages else None)
        await self.send(update)
        assert update.callback_query is not None
        return update.callback_query.id

    def buttons(self, user: TgUser) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for sent in reversed(self.tg.sent_messages(user.id)):
            msg = self.tg.message(user.id, sent.message_id) or {}
            rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
            found += [b for row in rows for b in row]
        return found

    async def press(self, user: TgUser, label: str) -> str:
        for sent in reversed(self.tg.sent_messages(user.id)):
            msg = self.tg.message(user.id, sent.message_id) or {}
            rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in (b for row in rows for b in row):
                if label in b["text"] and "callback_data" in b:
                    update = self.tg.callback_query(
                        user, b["callback_data"], message=sent.message_id
                    )
                    await self.send(update)
                    assert update.callback_query is not None
                    return update.callback_query.id
        raise AssertionError(f"no button {label!r}: {[b['text'] for b in self.buttons(user)]}")

    def screen(self, user: TgUser) -> str:
        last = self.tg.sent_messages(user.id)[-1]
        msg = self.tg.message(user.id, last.message_id) or {}
        return str(msg.get("text") or msg.get("caption") or "")

    def answer(self, query_id: str) -> str:
        answer = self.tg.answered_callback(query_id)
        return (answer.text or "") if answer is not None else ""

    async def run(self, kind: type[Any], command: Any) -> Any:
        async with self.container() as request:
            return await (await request.get(kind))(command)

    async def add_customers(self, customers: Iterable[Customer]) -> None:
        async with self.sessions() as session:
            repo = SqlCustomerRepository(session)
            for customer in customers:
                await repo.add(customer)
            await session.commit()

    async def audit(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.execute(select(audit_log).order_by(audit_log.c.id))
            return [dict(r) for r in rows.mappings()]

    async def count(self, table: str) -> int:
        async with self.sessions() as session:
            query = select(func.count()).select_from(text(table))
            return int((await session.execute(query)).scalar_one())


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return I18n(strict=True)


def make_settings(
    tg: TelegramEmulator, panel: RemnawaveEmulator, *, support_chat: int | None, data_dir: str
) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "data_dir": data_dir,
            "telegram": {
                "token": tg.token,
                "api_base": tg.base_url,
                "bot_username": tg.bot_username,
                "support_contact": "@help_desk",
                "throttle_rate": 1000,
                "admin_ids": [OWNER.id],
                "admin_chat_id": ADMIN_CHAT,
                "support_chat_id": support_chat,
            },
            "shop": {"trial_tariff": ""},
            "stars": {"enabled": False},
            "panels": [
                {
                    "id": PANEL,
                    "kind": "remnawave",
                    "base_url": panel.base_url,
                    "dialect": panel.dialect,
                    "token": panel.api_token,
                    "timeout_seconds": 5,
                }
            ],
            "log": {"json": False},
        },
    )


@contextlib.asynccontextmanager
async def make_stack(
    pg_database: ScratchDatabase,
    i18n: I18n,
    tmp_path: Any,
    *,
    support_chat: int | None = SUPPORT_CHAT,
) -> AsyncIterator[Stack]:
    redis = Redis.from_url(REDIS_URL)
    clock = SteerableClock(datetime.now(UTC).replace(microsecond=0))
    prefix = f"vpnsales-admin-{uuid.uuid4().hex[:8]}"
    async with contextlib.AsyncExitStack() as es:
        es.push_async_callback(redis.aclose)
        tg = await es.enter_async_context(TelegramEmulator(auto_register_chats=True))
        panel = await es.enter_async_context(RemnawaveEmulator(clock=clock.now))
        for user in (OWNER, SUPPORT, CUSTOMER):
            tg.add_user(user)
        tg.add_group(ADMIN_CHAT, "Sellers")
        tg.add_group(SUPPORT_CHAT, "Support desk", is_forum=True)
        settings = make_settings(tg, panel, support_chat=support_chat, data_dir=str(tmp_path))
        container = build_container(
            settings,
            database_url=pg_database.url,
            redis_url=REDIS_URL,
            extra_providers=[
                Overrides(clock, RecordingTaskKicker()),
                AdminProvider(key_prefix=prefix, progress_interval=0.2, roster_ttl=0.5),
            ],
        )
        es.push_async_callback(container.close)
        sessions = await container.get(async_sessionmaker[AsyncSession])
        dp = build_dispatcher(
            i18n=i18n,
            redis=redis,
            customers=PerCallCustomerReader(sessions),
            config=BotConfig.from_settings(settings, ()),
            maintenance=MaintenanceFlag(sessions),
            key_prefix=prefix,
        )
        attach_container(dp, container)
        bot = await container.get(Bot)
        stack = Stack(container, sessions, dp, bot, tg, panel, clock, settings, redis, prefix)
        await stack.add_customers(
            [
                a_customer(
                    telegram_id=CUSTOMER.id,
                    username=CUSTOMER.username,
                    first_name=CUSTOMER.first_name,
                    language=Language.EN,
                    created_at=clock.now(),
                )
            ]
        )
        # configured owners are bootstrapped into the admins table on first use
        assert await (await container.get(AdminRoster)).role(OWNER.id) is not None
        try:
            yield stack
        finally:
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)


@pytest.fixture
async def stack(
    clean_db: async_sessionmaker[AsyncSession],
    pg_database: ScratchDatabase,
    i18n: I18n,
    tmp_path: Any,
) -> AsyncIterator[Stack]:
    async with make_stack(pg_database, i18n, tmp_path) as made:
        yield made


def texts(messages: Iterable[SentMessage]) -> list[str]:
    return [m.plain_text or "" for m in messages]
