"""Language: ru / en, switchable any time; everything is rendered in it from then on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import I18n, Translator
from vpnsales.application.interactors.customer.my_subscriptions import ListMySubscriptions
from vpnsales.application.interactors.customer.set_language import (
    SetLanguage,
    SetLanguageCommand,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import InvalidValue
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Lang, Nav, Screen
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.presenters import language_picker
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routers.menu import menu_view
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def choose(query: CallbackQuery, t: Translator) -> None:
    await show(query, language_picker(t))


async def switch(
    query: CallbackQuery,
    callback_data: Lang,
    i18n: I18n,
    directory: CustomerDirectory,
    config: BotConfig,
    set_language: FromDishka[SetLanguage],
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    try:
        language = Language(callback_data.code)
    except ValueError:
        raise InvalidValue("unknown language") from None
    telegram_id = sender_id(query)
    await set_language(SetLanguageCommand(telegram_id=telegram_id, language=language))
    directory.invalidate(telegram_id)
    t = i18n.for_language(language)
    customer = await directory.get(telegram_id)
    view = await menu_view(
        telegram_id,
        t,
        customer,
        directory=directory,
        config=config,
        subscriptions=subscriptions,
        clock=clock,
    )
    await show(query, view, notice=t.plain("language-switched"))


def build() -> Router:
    router = PrefixRouter(name="language")
    router.callback_query.register(choose, Nav.filter(F.to == Screen.LANGUAGE))
    router.callback_query.register(switch, Lang.filter())
    return router
