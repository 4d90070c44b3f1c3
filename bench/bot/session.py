"""An in-process Bot API session: every call is answered locally, no network.

Answers are built the way Telegram would shape them (a ``Message`` for sends and edits,
``True`` for acknowledgements), so handlers that use the returned message keep working.
Calls are counted per method.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

BOT_ID = 7_000_000_001


class InProcessSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1000)
        self._me = User(id=BOT_ID, is_bot=True, first_name="Bench", username="bench_bot")

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = type(method).__name__
        self.calls[name] += 1
        returning = getattr(method, "__returning__", None)
        if name == "GetMe":
            return self._me  # type: ignore[return-value]
        if _returns_message(returning):
            return self._message(method)  # type: ignore[return-value]
        if returning is bool:
            return True  # type: ignore[return-value]
        if name == "GetChatMember":
            return None  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    def _message(self, method: Any) -> Message:
        chat_id = getattr(method, "chat_id", None)
        chat_id = (
            int(chat_id)
            if isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit()
            else 1
        )
        message_id = getattr(method, "message_id", None) or next(self._ids)
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=self._me,
            text=getattr(method, "text", None) or getattr(method, "caption", None) or "",
            reply_markup=getattr(method, "reply_markup", None)
            if not isinstance(getattr(method, "reply_markup", None), dict)
            else None,
        )


def _returns_message(returning: Any) -> bool:
    if returning is Message:
        return True
    args = getattr(returning, "__args__", ())
    return Message in args
