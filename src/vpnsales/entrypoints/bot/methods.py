"""Bot API methods whose answer the bot checks but never reads.

Telegram answers ``sendMessage`` and ``editMessageText`` with the whole message it sent
or edited — text, entities, the inline keyboard — and aiogram turns every answer into a
pydantic ``Message`` (a model per button, ~40 µs for a screen with a keyboard). A screen
the bot shows is never read back, so :func:`show <vpnsales.entrypoints.bot.routers._common.show>`
sends these instead: the same API methods, the same requests, and errors raised as
usual (``TelegramBadRequest``, ``TelegramRetryAfter``… come from the answer's
``ok``/``description``, checked before its result), but the result is left as the JSON
Telegram sent (``__returning__`` is ``Any``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from aiogram.methods import EditMessageText, SendMessage

if TYPE_CHECKING:  # the parents' typed constructors (a subclass would get a synthesized one)
    SendScreen = SendMessage
    EditScreen = EditMessageText
else:

    class SendScreen(SendMessage):
        """``sendMessage``, the sent message not parsed."""

        __returning__: ClassVar[Any] = Any

    class EditScreen(EditMessageText):
        """``editMessageText``, the edited message not parsed."""

        __returning__: ClassVar[Any] = Any


__all__ = ["EditScreen", "SendScreen"]
