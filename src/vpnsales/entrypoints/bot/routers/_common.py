"""Helpers shared by the routers: showing a screen, reading ids from callback data."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from vpnsales.domain.errors import SubscriptionNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.entrypoints.bot.callbacks import parse_short_id
from vpnsales.entrypoints.bot.methods import EditScreen, SendScreen
from vpnsales.entrypoints.bot.presenters import View

PARSE_MODE = "HTML"


async def show(
    event: Message | CallbackQuery,
    view: View,
    *,
    edit: bool = True,
    notice: str | None = None,
) -> None:
    """Show ``view``: edit the pressed message when possible, else send a new one.
    A button press is answered once (``notice``: a short toast). The message Telegram
    answers with is not parsed (``methods``: the bot never reads a screen back)."""
    bot = event.bot
    assert bot is not None
    if isinstance(event, Message):
        await bot(
            SendScreen(
                chat_id=event.chat.id,
                message_thread_id=event.message_thread_id if event.is_topic_message else None,
                business_connection_id=event.business_connection_id,
                text=view.text,
                reply_markup=view.keyboard,
                parse_mode=PARSE_MODE,
            )
        )
        return
    message = event.message
    if edit and isinstance(message, Message) and message.text is not None:
        try:
            await bot(
                EditScreen(
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    business_connection_id=message.business_connection_id,
                    text=view.text,
                    reply_markup=view.keyboard,
                    parse_mode=PARSE_MODE,
                )
            )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise
        await event.answer(notice)
        return
    await event.answer(notice)
    if message is not None:
        await bot(
            SendScreen(
                chat_id=message.chat.id,
                text=view.text,
                reply_markup=view.keyboard,
                parse_mode=PARSE_MODE,
            )
        )


def sender_id(event: Message | CallbackQuery) -> TelegramId:
    user = event.from_user
    if user is None:  # channel posts: no customer
        raise SubscriptionNotFound("no sender")
    return TelegramId(user.id)


def subscription_id(text: str) -> SubscriptionId:
    """The id in a button, or ``SubscriptionNotFound`` for garbage."""
    parsed = parse_short_id(text)
    if parsed is None:
        raise SubscriptionNotFound("malformed subscription id")
    return SubscriptionId(parsed)
