"""Anything no other handler took: a gentle hint and the way back to the menu."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.entrypoints.bot.filters import PrivateChat
from vpnsales.entrypoints.bot.presenters import unknown_input
from vpnsales.entrypoints.bot.routers._common import show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def unknown_message(message: Message, t: Translator) -> None:
    await show(message, unknown_input(t))


async def unknown_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("unknown-input"), show_alert=False)


def build() -> Router:
    router = PrefixRouter(name="fallback")
    router.message.register(unknown_message, PrivateChat())
    router.callback_query.register(unknown_button)
    return router
