"""Support: the configured contact and the FAQ."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.entrypoints.bot.callbacks import Nav, Screen
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.presenters import faq_page, support_page
from vpnsales.entrypoints.bot.routers._common import show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def support(query: CallbackQuery, t: Translator, config: BotConfig) -> None:
    await show(query, support_page(t, config))


async def faq(query: CallbackQuery, t: Translator, config: BotConfig) -> None:
    await show(query, faq_page(t, config))


def build() -> Router:
    router = PrefixRouter(name="support")
    router.callback_query.register(support, Nav.filter(F.to == Screen.SUPPORT))
    router.callback_query.register(faq, Nav.filter(F.to == Screen.FAQ))
    return router
