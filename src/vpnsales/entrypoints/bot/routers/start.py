"""``/start`` with deep links: ``ref_<code>`` (referral), ``t_<tariff>`` (open a tariff),
``promo_<code>`` (apply a promo code). Registers or updates the customer, then shows the
main menu. A returning customer with an unchanged profile costs no write at all."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, User
from dishka import AsyncContainer
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import I18n, Translator
from vpnsales.application.interactors.customer.get_tariff import GetTariff, GetTariffQuery
from vpnsales.application.interactors.customer.my_subscriptions import ListMySubscriptions
from vpnsales.application.interactors.customer.redeem_promo_code import (
    RedeemOutcome,
    RedeemPromoCode,
    RedeemPromoCodeCommand,
)
from vpnsales.application.interactors.customer.register_customer import (
    RegisterCustomer,
    RegisterCustomerCommand,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import CustomerView
from vpnsales.domain.ids import TelegramId
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Purpose
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.filters import PrivateChat
from vpnsales.entrypoints.bot.presenters import promo_redeemed, tariff_card, welcome
from vpnsales.entrypoints.bot.routers._common import show
from vpnsales.entrypoints.bot.routers.menu import menu_view
from vpnsales.entrypoints.bot.routing import PrefixRouter
from vpnsales.entrypoints.bot.states import PROMO_KEY

TARIFF_PREFIX = "t_"
PROMO_PREFIXES = ("promo_", "p_")


async def _register(
    message: Message,
    register: RegisterCustomer,
    directory: CustomerDirectory,
    i18n: I18n,
    state: FSMContext,
    raw_state: str | None,
    payload: str | None,
) -> tuple[User, CustomerView | None, Translator]:
    user = message.from_user
    assert user is not None
    if raw_state is not None:
        await state.set_state(None)
    registered = await register(
        RegisterCustomerCommand(
            telegram_id=TelegramId(user.id),
            username=user.username,
            first_name=user.first_name or "",
            language_code=user.language_code,
            start_payload=payload[:64] if payload else None,
        )
    )
    directory.invalidate(user.id)
    t = i18n.for_language(registered.language)
    if registered.created:
        referred = registered.referrer_id is not None
        await message.answer(welcome(t, user.first_name or "", referred=referred))
    return user, await directory.get(user.id), t


async def start_tariff(
    message: Message,
    command: CommandObject,
    i18n: I18n,
    directory: CustomerDirectory,
    config: BotConfig,
    state: FSMContext,
    raw_state: str | None,
    register: FromDishka[RegisterCustomer],
    tariffs: FromDishka[GetTariff],
) -> None:
    user, customer, t = await _register(
        message, register, directory, i18n, state, raw_state, command.args
    )
    code = (command.args or "")[len(TARIFF_PREFIX) :]
    tariff = await tariffs(
        GetTariffQuery(
            code=code, telegram_id=TelegramId(user.id), language=t.language, customer=customer
        )
    )
    await show(message, tariff_card(t, tariff, config.base_currency, purpose=Purpose.NEW))


async def start_promo(
    message: Message,
    command: CommandObject,
    i18n: I18n,
    directory: CustomerDirectory,
    state: FSMContext,
    raw_state: str | None,
    register: FromDishka[RegisterCustomer],
    redeem: FromDishka[RedeemPromoCode],
) -> None:
    user, _, t = await _register(message, register, directory, i18n, state, raw_state, None)
    code = (command.args or "").split("_", 1)[1]
    result = await redeem(RedeemPromoCodeCommand(telegram_id=TelegramId(user.id), text=code))
    directory.invalidate(user.id)
    if result.outcome is RedeemOutcome.APPLY_AT_CHECKOUT:
        await state.update_data({PROMO_KEY: result.code})
    await show(message, promo_redeemed(t, result))


async def start(
    message: Message,
    command: CommandObject,
    t: Translator,
    i18n: I18n,
    customer: CustomerView | None,
    directory: CustomerDirectory,
    config: BotConfig,
    state: FSMContext,
    raw_state: str | None,
    dishka_container: AsyncContainer,
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    user = message.from_user
    if user is None or user.is_bot:
        return
    unchanged = customer is not None and customer.username == user.username
    if command.args or not unchanged:
        # resolved only here: a returning customer's /start needs no unit of work
        register = await dishka_container.get(RegisterCustomer)
        _, customer, t = await _register(
            message, register, directory, i18n, state, raw_state, command.args
        )
    else:
        # /start is where a customer checks their status: never from a stale cache
        customer = await directory.refresh(user.id)
        if raw_state is not None:
            await state.set_state(None)
    view = await menu_view(
        TelegramId(user.id),
        t,
        customer,
        directory=directory,
        config=config,
        subscriptions=subscriptions,
        clock=clock,
    )
    await show(message, view)


def build() -> Router:
    router = PrefixRouter(name="start")
    router.message.filter(PrivateChat())
    router.message.register(
        start_tariff, CommandStart(deep_link=True, magic=F.args.startswith(TARIFF_PREFIX))
    )
    router.message.register(
        start_promo, CommandStart(deep_link=True, magic=F.args.regexp(r"^(promo_|p_)"))
    )
    router.message.register(start, CommandStart())
    return router
