"""An in-process Bot API session: every call is answered locally, no network.

What aiogram's ``AiohttpSession`` does with an answer is done here too: the answer is
the JSON text Telegram would send (a message for sends and edits — with the inline
keyboard it carries —, ``true`` for acknowledgements) and goes through aiogram's own
``BaseSession.check_response``, which parses it into the method's declared result type.
What is left out is the transport: the request is not serialized and nothing crosses a
socket. Building the answer is the server's work; it is made cheap (the text is put
together from JSON parts, a keyboard's kept per keyboard object) so that it does not
weigh on either side of a comparison.

Calls are counted per API method (``sendMessage``, ``editMessageText``…).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

BOT_ID = 7_000_000_001

_ME_JSON = json.dumps(
    {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
)
_MESSAGES = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "sendPhoto",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
    }
)
"""API methods Telegram answers with the message sent or edited."""


class InProcessSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1000)
        self._markups: dict[int, tuple[Any, Any]] = {}

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
        name = method.__api_method__
        self.calls[name] += 1
        body = f'{{"ok":true,"result":{self._result(name, method)}}}'
        response = self.check_response(bot=bot, method=method, status_code=200, content=body)
        return cast(TelegramType, response.result)

    # -- the server's side: the answer's JSON text, from parts kept where they repeat ------
    def _result(self, name: str, method: Any) -> str:
        if name == "getMe":
            return _ME_JSON
        if name in _MESSAGES:
            return self._message(method)
        if name == "getChatMember":
            return f'{{"status":"left","user":{_ME_JSON}}}'
        return "true"

    def _message(self, method: Any) -> str:
        chat_id = getattr(method, "chat_id", None)
        chat_id = (
            int(chat_id)
            if isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit()
            else 1
        )
        message_id = getattr(method, "message_id", None) or next(self._ids)
        text = getattr(method, "text", None) or getattr(method, "caption", None) or ""
        markup = self._markup(getattr(method, "reply_markup", None))
        return (
            f'{{"message_id":{int(message_id)},"date":{int(time.time())},'
            f'"chat":{{"id":{chat_id},"type":"private"}},"from":{_ME_JSON},'
            f'"text":{json.dumps(text, ensure_ascii=False)}'
            + (f',"reply_markup":{markup}' if markup else "")
            + "}"
        )

    def _markup(self, markup: Any) -> str | None:
        """The inline keyboard's JSON as Telegram echoes it (only inline keyboards are),
        kept per keyboard object (the bot's keyboards are built once per layout)."""
        if markup is None or not hasattr(markup, "inline_keyboard"):
            return None
        held = self._markups.get(id(markup))
        if held is None or held[0] is not markup:
            if len(self._markups) > 4096:
                self._markups.clear()
            dumped = json.dumps(markup.model_dump(mode="json", exclude_none=True))
            held = (markup, dumped)
            self._markups[id(markup)] = held
        return str(held[1])
