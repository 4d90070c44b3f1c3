"""The main menu: adapts to the customer (no subscription / active / expired)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.interactors.customer.my_subscriptions import (
    ListMySubscriptions,
    MySubscriptionsQuery,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import CustomerView
from vpnsales.domain.ids import TelegramId
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Nav, Screen
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.presenters import View, main_menu
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def menu_view(
    telegram_id: TelegramId,
    t: Translator,
    customer: CustomerView | None,
    *,
    directory: CustomerDirectory,
    config: BotConfig,
    subscriptions: ListMySubscriptions,
    clock: Clock,
) -> View:
    """The menu from the cached summary (no round trip while it is fresh)."""
    cached = directory.subscriptions(telegram_id) if customer is not None else None
    if cached is None and customer is not None:
        result = await subscriptions(
            MySubscriptionsQuery(telegram_id=telegram_id, live=False, customer=customer)
        )
        cached = result.subscriptions
        directory.remember_subscriptions(telegram_id, cached)
    return main_menu(t, customer, cached or (), config, clock.now())


async def open_menu(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView | None,
    directory: CustomerDirectory,
    config: BotConfig,
    state: FSMContext,
    raw_state: str | None,
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    if raw_state is not None:
        await state.set_state(None)
    view = await menu_view(
        sender_id(query),
        t,
        customer,
        directory=directory,
        config=config,
        subscriptions=subscriptions,
        clock=clock,
    )
    await show(query, view)


async def menu_command(
    message: Message,
    t: Translator,
    customer: CustomerView | None,
    directory: CustomerDirectory,
    config: BotConfig,
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    view = await menu_view(
        sender_id(message),
        t,
        customer,
        directory=directory,
        config=config,
        subscriptions=subscriptions,
        clock=clock,
    )
    await show(message, view)


def build() -> Router:
    router = PrefixRouter(name="menu")
    router.callback_query.register(open_menu, Nav.filter(F.to.in_({Screen.MENU, Screen.CANCEL})))
    router.message.register(menu_command, Magic(F.text == "/menu"))
    return router
