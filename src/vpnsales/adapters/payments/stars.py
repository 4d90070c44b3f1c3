"""Telegram Stars (``XTR``) as a :class:`PaymentGateway`, through an aiogram ``Bot``.

How Stars differ from the other providers, and what this adapter does about it:

* **Checkout** is an invoice link (``createInvoiceLink``, currency ``XTR``, no provider
  token, exactly one integer price). Its ``payload`` is our payment id, so
  ``provider_payment_id`` at creation is ``str(payment_id)`` too: Telegram has no payment
  id before the customer pays.
* **Confirmation** arrives as ``pre_checkout_query`` (answer within 10 s) and then
  ``Message.successful_payment`` carrying ``telegram_payment_charge_id`` — the key for
  exactly-once crediting. The bot handles those updates; this gateway does not.
* **There is no "get payment" API**: :meth:`StarsGateway.fetch` raises
  :class:`PaymentGatewayRejected` (reconcile with ``getStarTransactions`` instead).
* **Nothing to cancel remotely**: an unpaid invoice link just stays unused;
  :meth:`StarsGateway.cancel` reports ``EXPIRED`` without a network call.
* **Refunds** (``refundStarPayment``) need the payer's user id *and* the charge id, and
  are always full. The ``provider_payment_id`` given to :meth:`StarsGateway.refund` must
  therefore be a *refund reference* ``"{user_id}:{telegram_payment_charge_id}"``, built
  with :func:`stars_refund_reference` when the successful payment is recorded (or call
  :meth:`StarsGateway.refund_to` directly). ``CHARGE_ALREADY_REFUNDED`` counts as
  success, so refunds are idempotent.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LabeledPrice

from vpnsales.application.ports.payments import (
    CheckoutRequest,
    CheckoutResult,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderPayment,
    ProviderStatus,
    RefundResult,
)
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider

MAX_TITLE = 32
MAX_DESCRIPTION = 255


def stars_price(rub: Money, rub_per_star: Decimal) -> Money:
    """Convert a fiat price to Stars: rounded up to a whole star, at least 1."""
    if rub.currency is Currency.XTR:
        raise ValueError("the price is already in Stars")
    if not isinstance(rub_per_star, Decimal) or not rub_per_star.is_finite() or rub_per_star <= 0:
        raise ValueError("rub_per_star must be a positive Decimal")
    stars = (rub.amount / rub_per_star).to_integral_value(rounding=ROUND_CEILING)
    return Money.of(max(stars, Decimal(1)), Currency.XTR)


def stars_refund_reference(user_id: int, telegram_payment_charge_id: str) -> str:
    """The ``provider_payment_id`` :meth:`StarsGateway.refund` understands."""
    if not telegram_payment_charge_id:
        raise ValueError("telegram_payment_charge_id is empty")
    return f"{int(user_id)}:{telegram_payment_charge_id}"


def parse_refund_reference(reference: str) -> tuple[int, str]:
    user_part, sep, charge_id = reference.partition(":")
    if not sep or not user_part.isdigit() or not charge_id:
        raise PaymentGatewayRejected(
            "a Stars refund needs provider_payment_id of the form "
            "'{user_id}:{telegram_payment_charge_id}' (see stars_refund_reference)"
        )
    return int(user_part), charge_id


def _payment_id(text: str) -> PaymentId | None:
    try:
        return PaymentId(uuid.UUID(text))
    except ValueError:
        return None


class StarsGateway:
    """:class:`~vpnsales.application.ports.payments.PaymentGateway` for Telegram Stars."""

    def __init__(self, bot: Bot, *, default_title: str = "VPN") -> None:
        self._bot = bot
        self._default_title = default_title

    def __repr__(self) -> str:
        return "StarsGateway()"

    @property
    def provider(self) -> PaymentProvider:
        return PaymentProvider.STARS

    @property
    def minimum_charge(self) -> Money | None:
        return Money.of(1, Currency.XTR)

    async def create(self, request: CheckoutRequest) -> CheckoutResult:
        amount = request.amount
        if amount.currency is not Currency.XTR:
            raise PaymentGatewayRejected(f"Stars invoices are in XTR, not {amount.currency}")
        if amount.amount != amount.amount.to_integral_value() or amount.amount < 1:
            raise PaymentGatewayRejected("a Stars amount must be a whole number of at least 1")
        stars = int(amount.amount)
        title = (request.title or self._default_title)[:MAX_TITLE] or "VPN"
        description = (request.description or title)[:MAX_DESCRIPTION]
        payload = str(request.payment_id)
        try:
            link = await self._bot.create_invoice_link(
                title=title,
                description=description,
                payload=payload,
                currency=Currency.XTR.value,
                prices=[LabeledPrice(label=title, amount=stars)],
            )
        except TelegramAPIError as exc:
            raise self._translate(exc, "createInvoiceLink") from exc
        return CheckoutResult(provider_payment_id=payload, pay_url=link)

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        raise PaymentGatewayRejected(
            "Telegram has no API to look up a Stars payment; trust successful_payment "
            "updates and reconcile with getStarTransactions"
        )

    async def cancel(self, provider_payment_id: str) -> ProviderPayment:
        """Nothing to cancel at Telegram: an unpaid invoice link simply stays unused."""
        return ProviderPayment(
            provider=PaymentProvider.STARS,
            provider_payment_id=provider_payment_id,
            status=ProviderStatus.EXPIRED,
            amount=Money.zero(Currency.XTR),
            payment_id=_payment_id(provider_payment_id),
            raw_status="expired-locally",
        )

    async def refund(
        self, provider_payment_id: str, amount: Money, *, idempotency_key: str
    ) -> RefundResult:
        """Full refund. ``provider_payment_id`` is ``"{user_id}:{charge_id}"``.

        ``idempotency_key`` is not sent (Telegram has none); a repeated refund is
        recognised by ``CHARGE_ALREADY_REFUNDED`` and reported as success.
        """
        if amount.currency is not Currency.XTR:
            raise PaymentGatewayRejected(f"Stars refunds are in XTR, not {amount.currency}")
        user_id, charge_id = parse_refund_reference(provider_payment_id)
        return await self.refund_to(user_id, charge_id, amount)

    async def refund_to(
        self, user_id: int, telegram_payment_charge_id: str, amount: Money | None = None
    ) -> RefundResult:
        refunded = amount if amount is not None else Money.zero(Currency.XTR)
        try:
            await self._bot.refund_star_payment(
                user_id=user_id, telegram_payment_charge_id=telegram_payment_charge_id
            )
        except TelegramBadRequest as exc:
            if "CHARGE_ALREADY_REFUNDED" not in str(exc.message).upper():
                raise self._translate(exc, "refundStarPayment") from exc
        except TelegramAPIError as exc:
            raise self._translate(exc, "refundStarPayment") from exc
        return RefundResult(
            provider_refund_id=telegram_payment_charge_id, succeeded=True, amount=refunded
        )

    @staticmethod
    def _translate(exc: TelegramAPIError, method: str) -> Exception:
        if isinstance(exc, TelegramRetryAfter):
            return PaymentGatewayUnavailable(
                f"{method}: flood control, retry after {exc.retry_after} s"
            )
        if isinstance(exc, TelegramNetworkError):
            return PaymentGatewayUnavailable(f"{method}: network error")
        if isinstance(exc, TelegramServerError):
            return PaymentGatewayUnavailable(f"{method}: Telegram server error")
        return PaymentGatewayRejected(f"{method}: {exc.message}")


__all__ = [
    "StarsGateway",
    "parse_refund_reference",
    "stars_price",
    "stars_refund_reference",
]
