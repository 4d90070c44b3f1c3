"""Helpers shared by the routers: showing a screen, reading ids from callback data."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from vpnsales.domain.errors import SubscriptionNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.entrypoints.bot.callbacks import parse_short_id
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
    A button press is answered once (``notice``: a short toast)."""
    if isinstance(event, Message):
        await event.answer(view.text, reply_markup=view.keyboard, parse_mode=PARSE_MODE)
        return
    message = event.message
    if edit and isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(view.text, reply_markup=view.keyboard, parse_mode=PARSE_MODE)
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise
        await event.answer(notice)
        return
    await event.answer(notice)
    if message is not None:
        await event.bot.send_message(  # type: ignore[union-attr]
            message.chat.id, view.text, reply_markup=view.keyboard, parse_mode=PARSE_MODE
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
