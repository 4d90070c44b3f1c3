"""The support desk: customers' messages in a forum supergroup, one topic per customer.

A customer's message is copied into their topic (created on first contact, reused
afterwards); whatever support staff write in that topic is copied back to the customer.
Admins close and reopen topics; a message from the customer reopens a closed topic.
The customer ↔ topic map lives in Redis (two keys per customer, no expiry); if it is
lost, the next message simply opens a new topic.

Everything here is Telegram plumbing — no business rule — so it is an adapter the bot's
support router calls directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from redis.asyncio import Redis

logger = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128


@dataclass(frozen=True, slots=True)
class Forwarded:
    thread_id: int
    created: bool
    """A new topic was opened for this customer."""


def topic_link(chat_id: int, thread_id: int) -> str:
    """``https://t.me/c/<internal id>/<thread>`` for a supergroup id ``-100<internal>``."""
    internal = str(chat_id)
    internal = internal[4:] if internal.startswith("-100") else internal.lstrip("-")
    return f"https://t.me/c/{internal}/{thread_id}"


def topic_title(customer_id: int, name: str, username: str | None) -> str:
    who = f"{name} @{username}" if username else name
    return f"{who} · {customer_id}"[:TOPIC_NAME_LIMIT]


class SupportDesk:
    def __init__(self, bot: Bot, redis: Redis, chat_id: int | None, *, prefix: str) -> None:
        self._bot = bot
        self._redis = redis
        self.chat_id = chat_id
        self._prefix = f"{prefix}:support"

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None

    def _customer_key(self, customer_id: int) -> str:
        return f"{self._prefix}:c:{customer_id}"

    def _topic_key(self, thread_id: int) -> str:
        return f"{self._prefix}:t:{thread_id}"

    async def topic_of(self, customer_id: int) -> int | None:
        raw = await self._redis.get(self._customer_key(customer_id))
        return int(raw) if raw is not None else None

    async def customer_of(self, thread_id: int) -> int | None:
        raw = await self._redis.get(self._topic_key(thread_id))
        return int(raw) if raw is not None else None

    def link(self, thread_id: int) -> str | None:
        return topic_link(self.chat_id, thread_id) if self.chat_id is not None else None

    async def _open_topic(self, customer_id: int, name: str, username: str | None) -> int:
        assert self.chat_id is not None
        topic = await self._bot.create_forum_topic(
            self.chat_id, topic_title(customer_id, name, username)
        )
        thread_id = topic.message_thread_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._customer_key(customer_id), thread_id)
            pipe.set(self._topic_key(thread_id), customer_id)
            await pipe.execute()
        return thread_id

    async def forward(
        self,
        *,
        customer_id: int,
        name: str,
        username: str | None,
        from_chat_id: int,
        message_id: int,
    ) -> Forwarded:
        """Copy the customer's message into their topic (opening or reopening it)."""
        assert self.chat_id is not None, "no support chat configured"
        thread_id = await self.topic_of(customer_id)
        created = False
        if thread_id is None:
            thread_id = await self._open_topic(customer_id, name, username)
            created = True
        try:
            await self._copy(from_chat_id, message_id, thread_id)
        except TelegramBadRequest as exc:
            text = exc.message.upper()
            if "TOPIC_CLOSED" in text:
                await self.reopen(thread_id)
            elif "THREAD NOT FOUND" in text or "TOPIC_ID_INVALID" in text:
                thread_id = await self._open_topic(customer_id, name, username)  # deleted
                created = True
            else:
                raise
            await self._copy(from_chat_id, message_id, thread_id)
        return Forwarded(thread_id=thread_id, created=created)

    async def _copy(self, from_chat_id: int, message_id: int, thread_id: int) -> None:
        assert self.chat_id is not None
        await self._bot.copy_message(
            self.chat_id, from_chat_id, message_id, message_thread_id=thread_id
        )

    async def reply(self, *, thread_id: int, message_id: int) -> int | None:
        """Copy a staff message written in a topic to its customer; the customer's id,
        or ``None`` when the topic belongs to nobody we know."""
        assert self.chat_id is not None
        customer_id = await self.customer_of(thread_id)
        if customer_id is None:
            return None
        await self._bot.copy_message(customer_id, self.chat_id, message_id)
        return customer_id

    async def close(self, thread_id: int) -> bool:
        return await self._topic_call(thread_id, close=True)

    async def reopen(self, thread_id: int) -> bool:
        return await self._topic_call(thread_id, close=False)

    async def _topic_call(self, thread_id: int, *, close: bool) -> bool:
        """True when the state changed; False when it already was so."""
        assert self.chat_id is not None
        try:
            if close:
                await self._bot.close_forum_topic(self.chat_id, thread_id)
            else:
                await self._bot.reopen_forum_topic(self.chat_id, thread_id)
        except TelegramBadRequest as exc:
            if "TOPIC_NOT_MODIFIED" in exc.message.upper():
                return False
            raise
        except TelegramAPIError:  # pragma: no cover - logged and reported as unchanged
            logger.exception("support topic %s: %s failed", thread_id, close)
            return False
        return True


__all__ = ["Forwarded", "SupportDesk", "topic_link", "topic_title"]
