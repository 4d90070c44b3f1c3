"""Catalog → tariff → period → payment method → payment.

Each step is one button (``Order`` callback data carries the whole order); a promo code
typed for the order lives in the FSM data until a payment reserves it."""

from __future__ import annotations

import dataclasses

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LabeledPrice, Message
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.formatting import format_period
from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.interactors.customer.get_tariff import GetTariff, GetTariffQuery
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs, ListTariffsQuery
from vpnsales.application.interactors.payments.pay_from_balance import (
    PayFromBalance,
    PayFromBalanceCommand,
)
from vpnsales.application.interactors.payments.quote_price import (
    QuotePrice,
    QuotePriceQuery,
    QuoteResult,
)
from vpnsales.application.interactors.payments.start_checkout import (
    CheckoutStarted,
    StartCheckout,
    StartCheckoutCommand,
)
from vpnsales.application.ports.readers import CustomerView
from vpnsales.domain.errors import (
    InvalidPromoCode,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
    PromoCodeExpired,
    PromoCodeFirstPurchaseOnly,
    PromoCodeInactive,
    PromoCodeNotApplicable,
    PromoCodeNotFound,
    PromoCodeNotStarted,
    SubscriptionNotFound,
)
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.money import Currency
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Method, Nav, Order, Purpose, Screen, Step
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.keyboards import back_to_menu, button, markup, nav
from vpnsales.entrypoints.bot.presenters import (
    View,
    catalog,
    pay_link,
    payment_methods,
    promo_prompt,
    tariff_card,
)
from vpnsales.entrypoints.bot.routers._common import sender_id, show, subscription_id
from vpnsales.entrypoints.bot.routing import PrefixRouter
from vpnsales.entrypoints.bot.states import ORDER_KEY, PROMO_KEY, PromoEntry

PROMO_ERRORS = (
    InvalidPromoCode,
    PromoCodeNotFound,
    PromoCodeExpired,
    PromoCodeNotStarted,
    PromoCodeExhausted,
    PromoCodeAlreadyUsed,
    PromoCodeNotApplicable,
    PromoCodeFirstPurchaseOnly,
    PromoCodeInactive,
)


def order_subscription(order: Order) -> SubscriptionId | None:
    if order.purpose is Purpose.NEW:
        return None
    return subscription_id(order.sub)


def quote_provider(config: BotConfig) -> PaymentProvider:
    """The provider whose currency the order summary is shown in."""
    fiat = [p for p in config.providers if p is not PaymentProvider.STARS]
    if fiat:
        return fiat[0]
    return config.providers[0] if config.providers else PaymentProvider.BALANCE


async def open_catalog(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView | None,
    tariffs: FromDishka[ListTariffs],
) -> None:
    views = await tariffs(
        ListTariffsQuery(telegram_id=sender_id(query), language=t.language, customer=customer)
    )
    await show(query, catalog(t, views))


async def open_tariff(
    query: CallbackQuery,
    callback_data: Order,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    tariffs: FromDishka[GetTariff],
) -> None:
    order_subscription(callback_data)  # validates the id before any query
    tariff = await tariffs(
        GetTariffQuery(
            code=callback_data.code,
            telegram_id=sender_id(query),
            language=t.language,
            customer=customer,
        )
    )
    view = tariff_card(
        t,
        tariff,
        config.base_currency,
        purpose=callback_data.purpose,
        sub=callback_data.sub,
    )
    await show(query, view)


async def methods_view(
    telegram_id: TelegramId,
    order: Order,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    state: FSMContext,
    prices: QuotePrice,
    tariffs: GetTariff,
) -> View:
    if order.days <= 0:
        raise SubscriptionNotFound("no period chosen")
    promo: str | None = (await state.get_data()).get(PROMO_KEY)
    tariff = await tariffs(
        GetTariffQuery(
            code=order.code, telegram_id=telegram_id, language=t.language, customer=customer
        )
    )
    query = QuotePriceQuery(
        telegram_id=telegram_id,
        provider=quote_provider(config),
        tariff_code=order.code,
        days=order.days,
        purpose=order.purpose.payment_purpose,
        subscription_id=order_subscription(order),
        promo_code=promo,
    )
    notice = None
    try:
        result: QuoteResult = await prices(query)
    except PROMO_ERRORS as exc:  # the saved code does not fit this order: drop it
        notice = t.error(exc)
        promo = None
        await state.update_data({PROMO_KEY: None})
        result = await prices(dataclasses.replace(query, promo_code=None))
    view = payment_methods(t, order, tariff.name, result, config, customer, promo=promo)
    if notice is not None:
        return View(type(view.text)(f"{notice}\n\n{view.text}"), view.keyboard)
    return view


async def choose_method(
    query: CallbackQuery,
    callback_data: Order,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    state: FSMContext,
    prices: FromDishka[QuotePrice],
    tariffs: FromDishka[GetTariff],
) -> None:
    view = await methods_view(
        sender_id(query), callback_data, t, config, customer, state, prices, tariffs
    )
    await show(query, view)


async def ask_promo(
    query: CallbackQuery, callback_data: Order, t: Translator, state: FSMContext
) -> None:
    await state.set_state(PromoEntry.checkout)
    await state.update_data({ORDER_KEY: callback_data.pack()})
    await show(query, promo_prompt(t))


async def drop_promo(
    query: CallbackQuery,
    callback_data: Order,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    state: FSMContext,
    prices: FromDishka[QuotePrice],
    tariffs: FromDishka[GetTariff],
) -> None:
    await state.update_data({PROMO_KEY: None})
    order = callback_data.model_copy(update={"step": Step.METHODS})
    view = await methods_view(sender_id(query), order, t, config, customer, state, prices, tariffs)
    await show(query, view)


async def promo_for_order(
    message: Message,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    state: FSMContext,
    prices: FromDishka[QuotePrice],
    tariffs: FromDishka[GetTariff],
) -> None:
    data = await state.get_data()
    try:
        order = Order.unpack(str(data.get(ORDER_KEY, "")))
    except (ValueError, TypeError):
        await state.set_state(None)
        await show(message, View(t("unknown-input"), markup([back_to_menu(t)])))
        return
    text = (message.text or "")[:64]
    telegram_id = sender_id(message)
    try:
        await prices(
            QuotePriceQuery(
                telegram_id=telegram_id,
                provider=quote_provider(config),
                tariff_code=order.code,
                days=order.days,
                purpose=order.purpose.payment_purpose,
                subscription_id=order_subscription(order),
                promo_code=text,
            )
        )
    except PROMO_ERRORS as exc:
        cancel = order.model_copy(update={"step": Step.METHODS})
        keyboard = markup([[button(t.plain("btn-cancel"), cancel)]])
        await message.answer(f"{t.error(exc)}\n\n{t('promo-enter')}", reply_markup=keyboard)
        return
    await state.set_state(None)
    await state.update_data({PROMO_KEY: text, ORDER_KEY: None})
    order = order.model_copy(update={"step": Step.METHODS})
    view = await methods_view(telegram_id, order, t, config, customer, state, prices, tariffs)
    await show(message, view)


async def pay(
    query: CallbackQuery,
    callback_data: Order,
    bot: Bot,
    t: Translator,
    config: BotConfig,
    directory: CustomerDirectory,
    state: FSMContext,
    checkout: FromDishka[StartCheckout],
    balance: FromDishka[PayFromBalance],
    tariffs: FromDishka[GetTariff],
) -> None:
    order = callback_data
    telegram_id = sender_id(query)
    sub = order_subscription(order)
    provider = order.method.provider
    if provider is None or (
        provider is not PaymentProvider.BALANCE and provider not in config.providers
    ):
        raise SubscriptionNotFound("unknown payment method")
    promo: str | None = (await state.get_data()).get(PROMO_KEY)
    if order.days <= 0:
        raise SubscriptionNotFound("no period chosen")
    if provider is PaymentProvider.BALANCE:
        await balance(
            PayFromBalanceCommand(
                telegram_id=telegram_id,
                tariff_code=order.code,
                days=order.days,
                promo_code=promo,
                purpose=order.purpose.payment_purpose,
                subscription_id=sub,
            )
        )
        await _paid(query, t, directory, state, telegram_id)
        return
    started = await checkout(
        StartCheckoutCommand(
            telegram_id=telegram_id,
            provider=provider,
            tariff_code=order.code,
            days=order.days,
            promo_code=promo,
            purpose=order.purpose.payment_purpose,
            subscription_id=sub,
            return_url=config.return_url,
        )
    )
    if promo:
        await state.update_data({PROMO_KEY: None})
    if started.status is PaymentStatus.SUCCEEDED:
        await _paid(query, t, directory, state, telegram_id)
        return
    if provider is PaymentProvider.STARS:
        tariff = await tariffs(
            GetTariffQuery(code=order.code, telegram_id=telegram_id, language=t.language)
        )
        await _send_invoice(query, bot, t, started, order, tariff.name)
        return
    await show(query, pay_link(t, started, order, config))


async def _paid(
    query: CallbackQuery,
    t: Translator,
    directory: CustomerDirectory,
    state: FSMContext,
    telegram_id: TelegramId,
) -> None:
    directory.invalidate(telegram_id)
    await state.update_data({PROMO_KEY: None})
    rows = [[nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)], back_to_menu(t)]
    await show(query, View(t("checkout-paid-from-balance"), markup(rows)))


async def _send_invoice(
    query: CallbackQuery,
    bot: Bot,
    t: Translator,
    started: CheckoutStarted,
    order: Order,
    name: str,
) -> None:
    total = started.quote.total
    if total.currency is not Currency.XTR:  # pragma: no cover - the pricer guarantees XTR
        raise SubscriptionNotFound("Stars invoices are in XTR")
    period = format_period(t, started.quote.days)
    other = order.model_copy(update={"step": Step.METHODS, "method": Method.NONE})
    from vpnsales.entrypoints.bot.keyboards import button

    await show(
        query,
        View(
            t("checkout-pay-stars"),
            markup([[button(t.plain("btn-other-method"), other)], back_to_menu(t)]),
        ),
    )
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await bot.send_invoice(
        chat_id=chat_id,
        title=t.plain("invoice-title", tariff=name, period=period)[:32],
        description=t.plain("invoice-description", tariff=name, period=period)[:255],
        payload=str(started.payment_id),
        currency=Currency.XTR.value,
        prices=[
            LabeledPrice(
                label=t.plain("invoice-label", tariff=name, period=period)[:32],
                amount=int(total.amount),
            )
        ],
    )


def build() -> Router:
    router = PrefixRouter(name="catalog")
    router.callback_query.register(open_catalog, Nav.filter(F.to == Screen.CATALOG))
    router.callback_query.register(open_tariff, Order.filter(F.step == Step.TARIFF))
    router.callback_query.register(choose_method, Order.filter(F.step == Step.METHODS))
    router.callback_query.register(ask_promo, Order.filter(F.step == Step.PROMO))
    router.callback_query.register(drop_promo, Order.filter(F.step == Step.DROP_PROMO))
    router.message.register(promo_for_order, StateFilter(PromoEntry.checkout), Magic(F.text))
    router.callback_query.register(pay, Order.filter(F.step == Step.PAY))
    return router
