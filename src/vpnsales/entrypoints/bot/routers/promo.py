"""Promo codes typed from the menu: any text is tried; every failure gets friendly words
and the customer may try again or cancel."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.interactors.customer.redeem_promo_code import (
    RedeemOutcome,
    RedeemPromoCode,
    RedeemPromoCodeCommand,
)
from vpnsales.domain.errors import DomainError
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Nav, Screen
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.presenters import promo_prompt, promo_redeemed, promo_retry
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter
from vpnsales.entrypoints.bot.states import PROMO_KEY, PromoEntry


async def ask_code(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(PromoEntry.redeem)
    await show(query, promo_prompt(t))


async def redeem_code(
    message: Message,
    t: Translator,
    state: FSMContext,
    directory: CustomerDirectory,
    redeem: FromDishka[RedeemPromoCode],
) -> None:
    telegram_id = sender_id(message)
    try:
        result = await redeem(
            RedeemPromoCodeCommand(telegram_id=telegram_id, text=(message.text or "")[:64])
        )
    except DomainError as exc:
        await show(message, promo_retry(t, t.error(exc)))
        return
    await state.set_state(None)
    directory.invalidate(telegram_id)
    if result.outcome is RedeemOutcome.APPLY_AT_CHECKOUT:
        await state.update_data({PROMO_KEY: result.code})
    await show(message, promo_redeemed(t, result))


def build() -> Router:
    router = PrefixRouter(name="promo")
    router.callback_query.register(ask_code, Nav.filter(F.to == Screen.PROMO))
    router.message.register(redeem_code, StateFilter(PromoEntry.redeem), Magic(F.text))
    return router
