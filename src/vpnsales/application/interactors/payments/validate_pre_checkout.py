"""Telegram Stars pre-checkout: may this invoice be paid now? (a query; nothing written).

Telegram asks before charging; we answer within seconds with ok or a typed reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import (
    CustomerRepository,
    PaymentRepository,
    TariffRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import PaymentId, TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import Payment, PaymentPurpose, PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidatePreCheckoutQuery:
    invoice_payload: str
    """Our payment id, as put into the invoice."""
    amount: Money
    telegram_id: TelegramId


class PreCheckoutRefusal(StrEnum):
    UNKNOWN_PAYMENT = "unknown_payment"
    NOT_PENDING = "not_pending"
    EXPIRED = "expired"
    TARIFF_UNAVAILABLE = "tariff_unavailable"
    AMOUNT_MISMATCH = "amount_mismatch"
    WRONG_CUSTOMER = "wrong_customer"
    CUSTOMER_BANNED = "customer_banned"


@dataclass(frozen=True, slots=True, kw_only=True)
class PreCheckoutVerdict:
    ok: bool
    refusal: PreCheckoutRefusal | None = None
    payment_id: PaymentId | None = None


class ValidatePreCheckout:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._customers = customers
        self._tariffs = tariffs
        self._clock = clock
        self._policy = policy

    async def __call__(self, query: ValidatePreCheckoutQuery) -> PreCheckoutVerdict:
        try:
            payment = await self._payment(query.invoice_payload)
            if payment is None:
                return PreCheckoutVerdict(ok=False, refusal=PreCheckoutRefusal.UNKNOWN_PAYMENT)
            refusal = await self._refusal(payment, query)
        finally:
            await self._uow.rollback()
        return PreCheckoutVerdict(ok=refusal is None, refusal=refusal, payment_id=payment.id)

    async def _payment(self, payload: str) -> Payment | None:
        try:
            payment_id = PaymentId(UUID(payload.strip()))
        except (ValueError, AttributeError):
            return None
        return await self._payments.get(payment_id)

    async def _refusal(
        self, payment: Payment, query: ValidatePreCheckoutQuery
    ) -> PreCheckoutRefusal | None:
        customer = await self._customers.get(payment.customer_id)
        if customer is None or customer.telegram_id != query.telegram_id:
            return PreCheckoutRefusal.WRONG_CUSTOMER
        if customer.banned:
            return PreCheckoutRefusal.CUSTOMER_BANNED
        if payment.status is not PaymentStatus.PENDING:
            return PreCheckoutRefusal.NOT_PENDING
        if payment.is_stale(self._clock.now(), self._policy.payment_ttl):
            return PreCheckoutRefusal.EXPIRED
        if payment.purpose is not PaymentPurpose.TOP_UP:
            tariff = await self._tariffs.get(payment.tariff_id) if payment.tariff_id else None
            if tariff is None or not tariff.active or tariff.is_trial:
                return PreCheckoutRefusal.TARIFF_UNAVAILABLE
        if query.amount != payment.amount:
            return PreCheckoutRefusal.AMOUNT_MISMATCH
        return None
