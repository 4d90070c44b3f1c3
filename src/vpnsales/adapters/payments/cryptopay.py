"""Crypto Pay (@CryptoBot) gateway over ``httpx.AsyncClient`` — shared/CONTRACTS.md §5.

* Fiat invoices in the request's currency, paid in any of ``accepted_assets``; the
  invoice ``payload`` is our payment id; the customer gets ``bot_invoice_url``.
* ``fetch`` uses ``getInvoices(invoice_ids=…)``; ``cancel`` deletes an active invoice
  (``deleteInvoice``) and reports it ``EXPIRED``.
* **No refunds**: Crypto Pay has no refund API. :meth:`CryptoPayGateway.refund` raises
  :class:`PaymentGatewayRejected`; a refund of a crypto payment is recorded locally
  only (and settled by hand, e.g. a transfer from the app's balance).
* ``createInvoice`` has no idempotency key, so it is retried only when the request
  surely did not reach the service (connection failures, 429). On a 5xx or a read
  timeout the outcome is unknown and :class:`PaymentGatewayUnavailable` is raised: a
  later attempt creates a new invoice and the orphan one simply expires. Reads and
  ``deleteInvoice`` are retried with backoff.
* Webhooks are signed (HMAC-SHA256, key = SHA256(token)); verification lives in
  :mod:`vpnsales.adapters.payments.webhooks`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from vpnsales.adapters.payments._http import HttpGateway, RetryPolicy, Sleep, send_with_retries
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    CheckoutResult,
    FailureReason,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderPayment,
    ProviderPaymentNotFound,
    ProviderStatus,
    RefundResult,
)
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider

__all__ = ["CryptoPayConfig", "CryptoPayGateway", "invoice_to_payment"]

_MAX_EXPIRES_IN = 2_678_400
_DESCRIPTION_LIMIT = 1024
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_STATUSES = {
    "active": ProviderStatus.PENDING,
    "paid": ProviderStatus.SUCCEEDED,
    "expired": ProviderStatus.EXPIRED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CryptoPayConfig:
    token: str = field(repr=False)
    api_base: str = "https://pay.crypt.bot/api"
    """``https://testnet-pay.crypt.bot/api`` for the testnet."""
    accepted_assets: tuple[str, ...] = ("USDT", "TON", "BTC")
    allow_anonymous: bool = True
    allow_comments: bool = False
    paid_btn_name: str | None = None
    """``viewItem | openChannel | openBot | callback``; used with a return URL."""
    paid_btn_url: str | None = None
    minimum_charge: Money | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("Crypto Pay token is required")
        if not self.api_base.startswith(("https://", "http://")):
            raise ValueError("Crypto Pay api_base must be an http(s) URL")
        if not self.accepted_assets:
            raise ValueError("accepted_assets must not be empty")

    def __repr__(self) -> str:
        return (
            f"CryptoPayConfig(token='***', api_base={self.api_base!r}, "
            f"accepted_assets={self.accepted_assets!r})"
        )


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def invoice_to_payment(invoice: Any) -> ProviderPayment:
    """Translate a fiat invoice; raises ``ValueError``/``KeyError``/… on anything else."""
    if not isinstance(invoice, dict):
        raise ValueError("invoice is not an object")
    invoice_id, raw_status = invoice["invoice_id"], invoice["status"]
    if not isinstance(invoice_id, int) or isinstance(invoice_id, bool):
        raise ValueError("invoice_id is not an integer")
    if not isinstance(raw_status, str) or raw_status not in _STATUSES:
        raise ValueError("unknown invoice status")
    if invoice.get("currency_type") != "fiat" or not isinstance(invoice.get("fiat"), str):
        raise ValueError("not a fiat invoice")
    amount = invoice["amount"]
    if not isinstance(amount, str | int) or isinstance(amount, bool):
        raise ValueError("amount is not a string")
    money = Money.exact(Decimal(str(amount)), Currency(invoice["fiat"]))
    status = _STATUSES[raw_status]
    payment_id: PaymentId | None = None
    payload = invoice.get("payload")
    if isinstance(payload, str):
        try:
            payment_id = PaymentId(UUID(payload))
        except ValueError:
            payment_id = None
    extra = {
        name: str(invoice[name])
        for name in ("hash", "paid_asset", "paid_amount", "paid_fiat_rate", "fee_amount")
        if isinstance(invoice.get(name), str | int) and not isinstance(invoice.get(name), bool)
    }
    return ProviderPayment(
        provider=PaymentProvider.CRYPTOPAY,
        provider_payment_id=str(invoice_id),
        status=status,
        amount=money,
        payment_id=payment_id,
        paid_at=_timestamp(invoice.get("paid_at")) if status is ProviderStatus.SUCCEEDED else None,
        failure_reason=FailureReason.EXPIRED if status is ProviderStatus.EXPIRED else None,
        raw_status=raw_status,
        extra=extra,
    )


class CryptoPayGateway(HttpGateway):
    """:class:`~vpnsales.application.ports.payments.PaymentGateway` for Crypto Pay."""

    def __init__(
        self,
        config: CryptoPayConfig,
        *,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(config, client=client, sleep=sleep, rng=rng)
        self._config = config
        self._headers = {"Crypto-Pay-API-Token": config.token, "Accept": "application/json"}

    def __repr__(self) -> str:
        return f"CryptoPayGateway(api_base={self._base!r})"

    @property
    def provider(self) -> PaymentProvider:
        return PaymentProvider.CRYPTOPAY

    async def create(self, request: CheckoutRequest) -> CheckoutResult:
        amount = request.amount
        if amount.currency is Currency.XTR:
            raise PaymentGatewayRejected("Crypto Pay does not invoice Telegram Stars (XTR)")
        if not amount.is_positive:
            raise PaymentGatewayRejected("amount must be positive")
        minimum = self._config.minimum_charge
        if minimum is not None and minimum.currency is amount.currency and amount < minimum:
            raise PaymentGatewayRejected(f"amount below the Crypto Pay minimum of {minimum}")
        params: dict[str, Any] = {
            "currency_type": "fiat",
            "fiat": amount.currency.value,
            "amount": f"{amount.amount:f}",
            "accepted_assets": ",".join(self._config.accepted_assets),
            "description": request.description[:_DESCRIPTION_LIMIT],
            "payload": str(request.payment_id),
            "expires_in": max(1, min(request.expires_in_seconds, _MAX_EXPIRES_IN)),
            "allow_anonymous": self._config.allow_anonymous,
            "allow_comments": self._config.allow_comments,
        }
        button_url = request.return_url or self._config.paid_btn_url
        if self._config.paid_btn_name and button_url:
            params["paid_btn_name"] = self._config.paid_btn_name
            params["paid_btn_url"] = button_url
        invoice = await self._call("createInvoice", params, idempotent=False)
        try:
            payment = invoice_to_payment(invoice)
            url = invoice["bot_invoice_url"]
            if not isinstance(url, str) or not url.startswith("https://"):
                raise ValueError("no bot_invoice_url")
        except (KeyError, TypeError, ValueError, DomainError) as exc:
            raise PaymentGatewayUnavailable("cryptopay createInvoice: unexpected invoice") from exc
        return CheckoutResult(
            provider_payment_id=payment.provider_payment_id,
            pay_url=url,
            expires_at=_timestamp(invoice.get("expiration_date")),
        )

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        invoice_id = self._invoice_id(provider_payment_id)
        result = await self._call("getInvoices", {"invoice_ids": str(invoice_id)})
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise PaymentGatewayUnavailable("cryptopay getInvoices: unexpected result")
        for item in items:
            if isinstance(item, dict) and item.get("invoice_id") == invoice_id:
                try:
                    return invoice_to_payment(item)
                except (KeyError, TypeError, ValueError, DomainError) as exc:
                    raise PaymentGatewayUnavailable(
                        "cryptopay getInvoices: unexpected invoice"
                    ) from exc
        raise ProviderPaymentNotFound(f"cryptopay invoice {invoice_id} not found")

    async def cancel(self, provider_payment_id: str) -> ProviderPayment:
        """Delete an active invoice; the returned state is ``EXPIRED``.

        Paid or already expired invoices are left alone and returned as fetched. A
        payment racing the deletion is still reported by the signed ``invoice_paid``
        webhook, which stays authoritative for Crypto Pay.
        """
        current = await self.fetch(provider_payment_id)
        if current.status is not ProviderStatus.PENDING:
            return current
        await self._call("deleteInvoice", {"invoice_id": int(current.provider_payment_id)})
        return replace(
            current,
            status=ProviderStatus.EXPIRED,
            failure_reason=FailureReason.EXPIRED,
            raw_status="deleted",
        )

    async def refund(
        self, provider_payment_id: str, amount: Money, *, idempotency_key: str
    ) -> RefundResult:
        """Always refused: Crypto Pay has no refund API; record refunds locally only."""
        raise PaymentGatewayRejected(
            "Crypto Pay has no refund API: record the refund locally and settle it by hand"
        )

    # -- internals -------------------------------------------------------------------
    @staticmethod
    def _invoice_id(provider_payment_id: str) -> int:
        if (
            not isinstance(provider_payment_id, str)
            or not provider_payment_id.isascii()
            or not provider_payment_id.isdigit()
            or len(provider_payment_id) > 18
        ):
            raise ProviderPaymentNotFound("not a Crypto Pay invoice id")
        return int(provider_payment_id)

    def _retry_delay(
        self, response: httpx.Response, retry: int, *, idempotent: bool
    ) -> float | None:
        status = response.status_code
        if status == 429:
            header = response.headers.get("Retry-After", "")
            if header.isdigit():
                return self._config.retry.server_delay(float(header))
            return self._config.retry.backoff(retry, self._rng)
        if idempotent and status in _RETRYABLE_STATUSES:
            return self._config.retry.backoff(retry, self._rng)
        return None

    async def _call(self, method: str, params: dict[str, Any], *, idempotent: bool = True) -> Any:
        url = f"{self._base}/{method}"
        what = f"cryptopay {method}"

        async def send() -> httpx.Response:
            return await self._client.post(
                url, json=params, headers=self._headers, timeout=self._timeout
            )

        response = await send_with_retries(
            send,
            what=what,
            policy=self._config.retry,
            sleep=self._sleep,
            rng=self._rng,
            retry_delay=lambda r, n: self._retry_delay(r, n, idempotent=idempotent),
            retry_transport_error=lambda exc: idempotent or isinstance(exc, _UNSENT_ERRORS),
        )
        status = response.status_code
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if isinstance(envelope, dict) and envelope.get("ok") is True and "result" in envelope:
            return envelope["result"]
        error = envelope.get("error") if isinstance(envelope, dict) else None
        name = error.get("name") if isinstance(error, dict) else None
        name = (
            "".join(c for c in name[:64] if c.isalnum() or c == "_")
            if isinstance(name, str)
            else ""
        )
        if status in _RETRYABLE_STATUSES or status >= 500:
            raise PaymentGatewayUnavailable(f"{what}: HTTP {status} {name}".rstrip())
        if status == 401 or name == "UNAUTHORIZED":
            raise PaymentGatewayRejected(f"{what}: token rejected (UNAUTHORIZED)")
        if name.endswith("NOT_FOUND") and method != "createInvoice":
            raise ProviderPaymentNotFound(f"{what}: {name}")
        if not isinstance(envelope, dict):
            raise PaymentGatewayUnavailable(f"{what}: HTTP {status}, not a Crypto Pay envelope")
        raise PaymentGatewayRejected(f"{what}: HTTP {status} {name or 'error'}")
