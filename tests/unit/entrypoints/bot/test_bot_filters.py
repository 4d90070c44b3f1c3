"""The bot's filters run on the event loop: no update pays a thread-pool hop to be routed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Chat, Message, User
from redis.asyncio import Redis

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.application.ports.readers import CustomerView
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.entrypoints.bot import BotConfig, build_dispatcher
from vpnsales.entrypoints.bot.filters import Magic, PrivateChat, sync_filters


class NoCustomers:
    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        return None

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        return None


def a_message(chat_type: str = "private", **fields: Any) -> Message:
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=-100 if chat_type != "private" else 5, type=chat_type),
        from_user=User(id=5, is_bot=False, first_name="Ann"),
        **fields,
    )


def the_bots_dispatcher(redis: Redis) -> Dispatcher:
    """The bot's routers and middlewares (``redis`` is never connected by building)."""
    return build_dispatcher(
        i18n=I18n(strict=False),
        redis=redis,
        customers=NoCustomers(),
        config=BotConfig(admin_ids=frozenset({1})),
        storage=MemoryStorage(),
    )


async def test_no_filter_of_the_bot_runs_in_a_thread() -> None:
    redis = Redis.from_url("redis://127.0.0.1:6379/0")  # never connected here
    assert list(sync_filters(the_bots_dispatcher(redis))) == []
    await redis.aclose()


def test_a_bare_magic_filter_or_state_is_reported() -> None:
    router = Router(name="r")
    router.message.register(lambda m: None, F.text)

    assert [line.split(":")[0] for line in sync_filters(router)] == ["r/message/<lambda>"]


@pytest.mark.parametrize(
    ("rule", "message", "expected"),
    [
        (F.text == "/menu", a_message(text="/menu"), True),
        (F.text == "/menu", a_message(text="/menus"), False),
        (F.text, a_message(), False),
        (F.text | F.photo, a_message(text="hi"), True),
        (~F.text.startswith("/"), a_message(), True),  # no text: relayed, as before
        (F.text.as_("said"), a_message(text="hi"), {"said": "hi"}),
    ],
)
async def test_magic_resolves_like_aiogram_does(rule: Any, message: Message, expected: Any) -> None:
    assert await Magic(rule)(message) == expected


@pytest.mark.parametrize(("chat_type", "expected"), [("private", True), ("supergroup", False)])
async def test_private_chat(chat_type: str, expected: bool) -> None:
    assert await PrivateChat()(a_message(chat_type)) is expected
