"""Payment provider port. Adapters translate vendor APIs into these types only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider


class ProviderStatus(StrEnum):
    PENDING = "pending"
    """Created, waiting for the customer (YooKassa pending/waiting_for_capture, invoice active)."""
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class FailureReason(StrEnum):
    """Why a payment did not go through, in words a customer understands."""

    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED = "expired"
    CANCELED_BY_CUSTOMER = "canceled_by_customer"
    CANCELED_BY_MERCHANT = "canceled_by_merchant"
    FRAUD_SUSPECTED = "fraud_suspected"
    AUTHENTICATION_FAILED = "authentication_failed"
    CARD_EXPIRED = "card_expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptSpec:
    """54-FZ receipt data (YooKassa) when the shop issues fiscal receipts."""

    customer_email: str | None = None
    customer_phone: str | None = None
    item_description: str
    vat_code: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutRequest:
    payment_id: PaymentId
    """Our id: the idempotency key and the metadata/payload that links back to us."""
    amount: Money
    description: str
    telegram_id: int
    return_url: str | None = None
    save_payment_method: bool = False
    receipt: ReceiptSpec | None = None
    expires_in_seconds: int = 3600
    title: str = ""
    """Short title (Stars invoice title)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutResult:
    provider_payment_id: str
    pay_url: str | None
    """Where the customer pays: YooKassa confirmation_url, CryptoPay bot_invoice_url,
    Stars invoice link. ``None`` when the provider charged without the customer."""
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderPayment:
    """The provider's own view of a payment. Only a fetched one is believed."""

    provider: PaymentProvider
    provider_payment_id: str
    status: ProviderStatus
    amount: Money
    payment_id: PaymentId | None = None
    """Our id, read back from metadata/payload, when present."""
    paid_at: datetime | None = None
    failure_reason: FailureReason | None = None
    saved_method_id: str | None = None
    """Reusable payment method for auto-renewal (YooKassa), when the customer allowed it."""
    refunded_amount: Money | None = None
    raw_status: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundResult:
    provider_refund_id: str
    succeeded: bool
    amount: Money


class PaymentGatewayError(Exception):
    """Provider failure. Messages never contain credentials."""

    retryable: bool = False


class PaymentGatewayUnavailable(PaymentGatewayError):
    """Network, 5xx, 429, still processing beyond our patience: the outcome is unknown."""

    retryable = True


class PaymentGatewayRejected(PaymentGatewayError):
    """The provider refused the request (validation, auth, not found)."""


class ProviderPaymentNotFound(PaymentGatewayRejected):
    pass


class PaymentGateway(Protocol):
    @property
    def provider(self) -> PaymentProvider: ...

    @property
    def minimum_charge(self) -> Money | None:
        """The smallest amount the provider accepts, when it has one."""
        ...

    async def create(self, request: CheckoutRequest) -> CheckoutResult: ...

    async def fetch(self, provider_payment_id: str) -> ProviderPayment: ...

    async def cancel(self, provider_payment_id: str) -> ProviderPayment:
        """Cancel/expire at the provider when it allows; returns the fetched state."""
        ...

    async def refund(
        self, provider_payment_id: str, amount: Money, *, idempotency_key: str
    ) -> RefundResult: ...


class RecurringPaymentGateway(PaymentGateway, Protocol):
    """A gateway that can charge a saved payment method without the customer (YooKassa)."""

    async def charge_saved(self, method_id: str, request: CheckoutRequest) -> ProviderPayment: ...
