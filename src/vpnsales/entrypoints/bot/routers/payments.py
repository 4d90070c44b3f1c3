"""Telegram Stars: pre-checkout (answered within seconds, by ``ValidatePreCheckout``),
``successful_payment`` (confirmed once, keyed on ``telegram_payment_charge_id``) and
``refunded_payment``. These updates pass every gate: money that moved is recorded."""

from __future__ import annotations

import logging
from uuid import UUID

from aiogram import F, Router
from aiogram.types import Message, PreCheckoutQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.payments.stars import stars_refund_reference
from vpnsales.adapters.telegram.i18n import Translator, msgid
from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPayment,
    ConfirmPaymentCommand,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundInitiator,
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.application.interactors.payments.validate_pre_checkout import (
    PreCheckoutRefusal,
    ValidatePreCheckout,
    ValidatePreCheckoutQuery,
)
from vpnsales.domain.ids import PaymentId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.middlewares.errors import plain
from vpnsales.entrypoints.bot.routing import PrefixRouter

logger = logging.getLogger("vpnsales.bot.payments")

REFUSAL_KEYS = {
    PreCheckoutRefusal.UNKNOWN_PAYMENT: msgid("precheckout-payment-unknown"),
    PreCheckoutRefusal.WRONG_CUSTOMER: msgid("precheckout-payment-unknown"),
    PreCheckoutRefusal.NOT_PENDING: msgid("precheckout-payment-unknown"),
    PreCheckoutRefusal.EXPIRED: msgid("precheckout-expired"),
    PreCheckoutRefusal.TARIFF_UNAVAILABLE: msgid("precheckout-tariff-unavailable"),
    PreCheckoutRefusal.AMOUNT_MISMATCH: msgid("precheckout-price-changed"),
    PreCheckoutRefusal.CUSTOMER_BANNED: msgid("banned"),
}


def _payment_id(payload: str) -> PaymentId | None:
    try:
        return PaymentId(UUID(payload.strip()))
    except (ValueError, AttributeError):
        return None


def _amount(currency: str, total: int) -> Money:
    try:
        return Money.of(total, Currency(currency))
    except ValueError:  # an unknown currency can't match our payment
        return Money.of(0, Currency.XTR)


async def pre_checkout(
    query: PreCheckoutQuery, t: Translator, validate: FromDishka[ValidatePreCheckout]
) -> None:
    verdict = await validate(
        ValidatePreCheckoutQuery(
            invoice_payload=query.invoice_payload,
            amount=_amount(query.currency, query.total_amount),
            telegram_id=TelegramId(query.from_user.id),
        )
    )
    if verdict.ok:
        await query.answer(ok=True)
        return
    key = REFUSAL_KEYS.get(verdict.refusal or PreCheckoutRefusal.UNKNOWN_PAYMENT)
    await query.answer(ok=False, error_message=plain(t(key or "precheckout-payment-unknown")))


async def successful_payment(
    message: Message,
    directory: CustomerDirectory,
    confirm: FromDishka[ConfirmPayment],
) -> None:
    paid = message.successful_payment
    user = message.from_user
    assert paid is not None
    assert user is not None
    payment_id = _payment_id(paid.invoice_payload)
    if payment_id is None:
        logger.error(
            "successful_payment with a foreign payload (charge %s)", paid.telegram_payment_charge_id
        )
        return
    result = await confirm(
        ConfirmPaymentCommand(
            provider=PaymentProvider.STARS,
            amount=_amount(paid.currency, paid.total_amount),
            payment_id=payment_id,
            charge_id=paid.telegram_payment_charge_id,
            refund_reference=stars_refund_reference(user.id, paid.telegram_payment_charge_id),
        )
    )
    directory.invalidate(user.id)
    logger.info("stars payment %s: %s", result.payment_id, result.outcome.value)
    # The customer hears from the worker: "payment received" then the access card.


async def refunded_payment(
    message: Message,
    directory: CustomerDirectory,
    refund: FromDishka[RefundPayment],
) -> None:
    refunded = message.refunded_payment
    user = message.from_user
    assert refunded is not None
    assert user is not None
    payment_id = _payment_id(refunded.invoice_payload)
    if payment_id is None:
        logger.error("refunded_payment with a foreign payload")
        return
    await refund(
        RefundPaymentCommand(
            payment_id=payment_id,
            provider=PaymentProvider.STARS,
            initiated_by=RefundInitiator.PROVIDER,
        )
    )
    directory.invalidate(user.id)


def build() -> Router:
    router = PrefixRouter(name="payments")
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, Magic(F.successful_payment))
    router.message.register(refunded_payment, Magic(F.refunded_payment))
    return router
