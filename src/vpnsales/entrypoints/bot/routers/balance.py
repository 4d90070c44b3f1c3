"""Balance: the amount, top-up (a payment with purpose ``top_up``) and the way back to
the catalog (paying from the balance is a method at checkout)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.notifier import NoticeAction, NoticeCallback
from vpnsales.application.errors import TopUpAmountInvalid
from vpnsales.application.interactors.customer.balance_history import (
    BalanceHistoryQuery,
    GetBalanceHistory,
)
from vpnsales.application.interactors.payments.start_checkout import (
    StartCheckout,
    StartCheckoutCommand,
)
from vpnsales.domain.errors import CustomerNotFound
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Method, Nav, Screen, TopUp
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.presenters import (
    balance_page,
    top_up_amounts,
    top_up_methods,
    top_up_pay_link,
)
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def balance(
    query: CallbackQuery,
    callback_data: Nav | NoticeCallback,
    t: Translator,
    config: BotConfig,
    directory: CustomerDirectory,
    history: FromDishka[GetBalanceHistory],
) -> None:
    telegram_id = sender_id(query)
    directory.invalidate(telegram_id)  # show the balance as it is now
    customer = await directory.get(telegram_id)
    if customer is None:
        raise CustomerNotFound()
    lines = await history(BalanceHistoryQuery(telegram_id=TelegramId(telegram_id)))
    await show(
        query,
        balance_page(t, customer, config, lines.entries),
        edit=isinstance(callback_data, Nav),
    )


async def top_up(query: CallbackQuery, t: Translator, config: BotConfig) -> None:
    await show(query, top_up_amounts(t, config))


async def top_up_pay(
    query: CallbackQuery,
    callback_data: TopUp,
    t: Translator,
    config: BotConfig,
    checkout: FromDishka[StartCheckout],
) -> None:
    if callback_data.amount not in config.top_up_amounts:
        raise TopUpAmountInvalid("not an offered amount")
    if callback_data.method is Method.NONE:
        await show(query, top_up_methods(t, callback_data.amount, config))
        return
    provider = callback_data.method.provider
    if provider is None or provider is PaymentProvider.STARS or provider not in config.providers:
        raise TopUpAmountInvalid("top-ups are paid in the balance currency")
    started = await checkout(
        StartCheckoutCommand(
            telegram_id=sender_id(query),
            provider=provider,
            purpose=PaymentPurpose.TOP_UP,
            top_up=Money.of(callback_data.amount, config.base_currency),
            return_url=config.return_url,
        )
    )
    await show(query, top_up_pay_link(t, started, config))


def build() -> Router:
    router = PrefixRouter(name="balance")
    router.callback_query.register(balance, Nav.filter(F.to == Screen.BALANCE))
    router.callback_query.register(balance, NoticeCallback.filter(F.action == NoticeAction.BALANCE))
    router.callback_query.register(top_up, Nav.filter(F.to == Screen.TOP_UP))
    router.callback_query.register(top_up_pay, TopUp.filter())
    return router
