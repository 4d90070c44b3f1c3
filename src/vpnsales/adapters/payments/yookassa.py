"""YooKassa (API v3) gateway over ``httpx.AsyncClient`` — shared/CONTRACTS.md §3.

* HTTP Basic ``shopId:secretKey``; the secret never appears in reprs, logs or errors.
* Every POST carries an ``Idempotence-Key`` *derived* from our ids
  (``create-<payment id>``, ``charge-<payment id>``, ``cancel-<provider id>``,
  ``refund-<caller's key>``), so any retry — ours now or a worker's later — reuses it
  and YooKassa answers with the original result instead of charging twice.
* 202 "processing" is retried with the same key after ``retry_after`` ms; 500/502/503/
  504, 429 and transport errors are retried with the same key, bounded, with
  exponential backoff and jitter (sleep and randomness are injectable for tests). After
  the last attempt the outcome is unknown: :class:`PaymentGatewayUnavailable`.
  Other 4xx are final: :class:`PaymentGatewayRejected` (404 →
  :class:`ProviderPaymentNotFound`).
* Amounts go out as strings with two decimals formatted from ``Decimal`` (never float)
  and come back through ``Money.exact``.
* ``metadata.payment_id`` carries our id and is read back into
  ``ProviderPayment.payment_id`` — but only a *fetched* payment is believed; a webhook
  body is just a hint to re-fetch (see :mod:`vpnsales.adapters.payments.webhooks`).

The official ``yookassa`` SDK is synchronous with global configuration, hence this
small async client.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
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

__all__ = [
    "YooKassaConfig",
    "YooKassaGateway",
    "YooKassaReceiptDefaults",
    "idempotence_key",
]

_KEY_RE = re.compile(r"^[0-9a-zA-Z+\-_.]{1,64}$")
_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_DESCRIPTION_LIMIT = 128
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_DEFAULT_PROCESSING_DELAY_MS = 1800

_REASONS: dict[str, FailureReason] = {
    "expired_on_confirmation": FailureReason.EXPIRED,
    "expired_on_capture": FailureReason.EXPIRED,
    "deal_expired": FailureReason.EXPIRED,
    "insufficient_funds": FailureReason.INSUFFICIENT_FUNDS,
    "payment_method_limit_exceeded": FailureReason.INSUFFICIENT_FUNDS,
    "3d_secure_failed": FailureReason.AUTHENTICATION_FAILED,
    "identification_required": FailureReason.AUTHENTICATION_FAILED,
    "card_expired": FailureReason.CARD_EXPIRED,
    "fraud_suspected": FailureReason.FRAUD_SUSPECTED,
    "canceled_by_merchant": FailureReason.CANCELED_BY_MERCHANT,
    "general_decline": FailureReason.DECLINED,
    "call_issuer": FailureReason.DECLINED,
    "country_forbidden": FailureReason.DECLINED,
    "invalid_card_number": FailureReason.DECLINED,
    "invalid_csc": FailureReason.DECLINED,
    "payment_method_restricted": FailureReason.DECLINED,
    "permission_revoked": FailureReason.DECLINED,
    "issuer_unavailable": FailureReason.UNKNOWN,
    "internal_timeout": FailureReason.UNKNOWN,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class YooKassaReceiptDefaults:
    """Shop-wide 54-FZ settings applied to receipts built from ``ReceiptSpec``."""

    vat_code: int | None = None
    """When set, overrides ``ReceiptSpec.vat_code`` (the shop's VAT regime is global)."""
    payment_subject: str = "service"
    payment_mode: str = "full_payment"
    tax_system_code: int | None = None

    def __post_init__(self) -> None:
        if self.vat_code is not None and not 1 <= self.vat_code <= 12:
            raise ValueError("vat_code must be 1-12")
        if self.tax_system_code is not None and not 1 <= self.tax_system_code <= 6:
            raise ValueError("tax_system_code must be 1-6")


@dataclass(frozen=True, slots=True, kw_only=True)
class YooKassaConfig:
    shop_id: str
    secret_key: str = field(repr=False)
    return_url: str
    """Where YooKassa sends the customer back (a request's ``return_url`` wins)."""
    api_base: str = "https://api.yookassa.ru/v3"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    receipt: YooKassaReceiptDefaults = field(default_factory=YooKassaReceiptDefaults)
    minimum_charge: Money = field(default_factory=lambda: Money.exact("1.00", Currency.RUB))

    def __post_init__(self) -> None:
        if not self.shop_id or not self.secret_key:
            raise ValueError("YooKassa shop_id and secret_key are required")
        if not self.return_url.startswith(("https://", "http://")):
            raise ValueError("YooKassa return_url must be an http(s) URL")
        if not self.api_base.startswith(("https://", "http://")):
            raise ValueError("YooKassa api_base must be an http(s) URL")

    def __repr__(self) -> str:
        return (
            f"YooKassaConfig(shop_id={self.shop_id!r}, secret_key='***', "
            f"return_url={self.return_url!r}, api_base={self.api_base!r})"
        )


def idempotence_key(operation: str, value: object) -> str:
    """``<operation>-<value>`` when it fits YooKassa's key rules, else a stable digest."""
    key = f"{operation}-{value}"
    if _KEY_RE.fullmatch(key):
        return key
    digest = hashlib.sha256(str(value).encode()).hexdigest()[:40]
    return f"{operation}-{digest}"[:64]


def _format_amount(money: Money) -> dict[str, str]:
    if money.currency is Currency.XTR:
        raise PaymentGatewayRejected("YooKassa does not accept Telegram Stars (XTR)")
    value = money.amount.quantize(Decimal("0.01"))
    return {"value": f"{value:f}", "currency": money.currency.value}


def _money(obj: Any) -> Money:
    if not isinstance(obj, dict):
        raise ValueError("amount is not an object")
    value, currency = obj["value"], obj["currency"]
    if not isinstance(value, str) or not isinstance(currency, str):
        raise ValueError("amount fields are not strings")
    return Money.exact(value, Currency(currency))


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _our_id(metadata: Any) -> PaymentId | None:
    if not isinstance(metadata, dict):
        return None
    raw = metadata.get("payment_id")
    if not isinstance(raw, str):
        return None
    try:
        return PaymentId(UUID(raw))
    except ValueError:
        return None


def _safe_text(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else ""
    return "".join(ch if ch.isprintable() else " " for ch in text[:limit])


def payment_from_object(obj: Any) -> ProviderPayment:
    """Translate a YooKassa payment object; raises ``ValueError``/``KeyError``/… on garbage."""
    if not isinstance(obj, dict):
        raise ValueError("payment is not an object")
    provider_id, raw_status = obj["id"], obj["status"]
    if not isinstance(provider_id, str) or not isinstance(raw_status, str):
        raise ValueError("payment id/status are not strings")
    amount = _money(obj["amount"])
    refunded = _money(obj["refunded_amount"]) if obj.get("refunded_amount") else None
    failure: FailureReason | None = None
    paid_at: datetime | None = None
    extra: dict[str, str] = {}
    if raw_status in {"pending", "waiting_for_capture"}:
        status = ProviderStatus.PENDING
    elif raw_status == "succeeded":
        status = ProviderStatus.SUCCEEDED
        if refunded is not None and refunded >= amount:
            status = ProviderStatus.REFUNDED
        paid_at = _timestamp(obj.get("captured_at")) or _timestamp(obj.get("created_at"))
    elif raw_status == "canceled":
        status = ProviderStatus.CANCELED
        details = obj.get("cancellation_details")
        details = details if isinstance(details, dict) else {}
        reason, party = details.get("reason"), details.get("party")
        failure = (
            _REASONS.get(reason, FailureReason.UNKNOWN)
            if isinstance(reason, str)
            else (FailureReason.UNKNOWN)
        )
        if isinstance(reason, str):
            extra["cancellation_reason"] = reason
        if isinstance(party, str):
            extra["cancellation_party"] = party
    else:
        raise ValueError(f"unknown payment status {raw_status[:32]!r}")
    saved_method_id: str | None = None
    method = obj.get("payment_method")
    if isinstance(method, dict):
        if isinstance(method.get("type"), str):
            extra["payment_method_type"] = method["type"]
        if isinstance(method.get("title"), str):
            extra["payment_method_title"] = method["title"]
        if method.get("saved") is True and isinstance(method.get("id"), str):
            saved_method_id = method["id"]
    if isinstance(obj.get("test"), bool):
        extra["test"] = "true" if obj["test"] else "false"
    return ProviderPayment(
        provider=PaymentProvider.YOOKASSA,
        provider_payment_id=provider_id,
        status=status,
        amount=amount,
        payment_id=_our_id(obj.get("metadata")),
        paid_at=paid_at,
        failure_reason=failure,
        saved_method_id=saved_method_id,
        refunded_amount=refunded,
        raw_status=raw_status,
        extra=extra,
    )


class YooKassaGateway(HttpGateway):
    """:class:`~vpnsales.application.ports.payments.RecurringPaymentGateway` for YooKassa."""

    def __init__(
        self,
        config: YooKassaConfig,
        *,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(config, client=client, sleep=sleep, rng=rng)
        self._config = config
        self._auth = httpx.BasicAuth(config.shop_id, config.secret_key)

    def __repr__(self) -> str:
        return f"YooKassaGateway(shop_id={self._config.shop_id!r}, api_base={self._base!r})"

    # -- PaymentGateway --------------------------------------------------------------
    @property
    def provider(self) -> PaymentProvider:
        return PaymentProvider.YOOKASSA

    async def create(self, request: CheckoutRequest) -> CheckoutResult:
        body = self._payment_body(request)
        body["confirmation"] = {
            "type": "redirect",
            "return_url": request.return_url or self._config.return_url,
        }
        if request.save_payment_method:
            body["save_payment_method"] = True
        obj = await self._call(
            "POST",
            "/payments",
            what="yookassa create payment",
            key=idempotence_key("create", request.payment_id),
            body=body,
        )
        payment = self._translate(obj, "yookassa create payment")
        if payment.status is not ProviderStatus.PENDING:
            if payment.status is ProviderStatus.CANCELED:
                raise PaymentGatewayRejected(
                    f"yookassa canceled the payment at creation "
                    f"({payment.extra.get('cancellation_reason', 'unknown')})"
                )
            return CheckoutResult(provider_payment_id=payment.provider_payment_id, pay_url=None)
        confirmation = obj.get("confirmation")
        url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise PaymentGatewayUnavailable("yookassa create payment: no confirmation_url")
        return CheckoutResult(
            provider_payment_id=payment.provider_payment_id,
            pay_url=url,
            expires_at=_timestamp(obj.get("expires_at")),
        )

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        path_id = self._path_id(provider_payment_id)
        obj = await self._call("GET", f"/payments/{path_id}", what="yookassa get payment")
        return self._translate(obj, "yookassa get payment")

    async def cancel(self, provider_payment_id: str) -> ProviderPayment:
        """Cancel when YooKassa allows it (``waiting_for_capture`` only).

        A ``pending`` payment cannot be canceled by the merchant: it is canceled by
        YooKassa itself when the confirmation expires (``expired_on_confirmation``),
        so the fetched (still pending) state is returned.
        """
        current = await self.fetch(provider_payment_id)
        if current.raw_status != "waiting_for_capture":
            return current
        path_id = self._path_id(provider_payment_id)
        obj = await self._call(
            "POST",
            f"/payments/{path_id}/cancel",
            what="yookassa cancel payment",
            key=idempotence_key("cancel", path_id),
            body={},
        )
        return self._translate(obj, "yookassa cancel payment")

    async def refund(
        self, provider_payment_id: str, amount: Money, *, idempotency_key: str
    ) -> RefundResult:
        body = {"payment_id": self._path_id(provider_payment_id), "amount": _format_amount(amount)}
        obj = await self._call(
            "POST",
            "/refunds",
            what="yookassa refund",
            key=idempotence_key("refund", idempotency_key),
            body=body,
        )
        try:
            refund_id, status = obj["id"], obj["status"]
            if not isinstance(refund_id, str) or not isinstance(status, str):
                raise ValueError("refund id/status are not strings")
            refunded = _money(obj["amount"])
        except (KeyError, TypeError, ValueError, DomainError) as exc:
            raise PaymentGatewayUnavailable("yookassa refund: unexpected response") from exc
        return RefundResult(
            provider_refund_id=refund_id, succeeded=status == "succeeded", amount=refunded
        )

    # -- RecurringPaymentGateway -----------------------------------------------------
    async def charge_saved(self, method_id: str, request: CheckoutRequest) -> ProviderPayment:
        """Charge a saved method without the customer; succeeds or fails at once."""
        if not _ID_RE.fullmatch(method_id):
            raise PaymentGatewayRejected("invalid saved payment method id")
        body = self._payment_body(request)
        body["payment_method_id"] = method_id
        obj = await self._call(
            "POST",
            "/payments",
            what="yookassa charge saved method",
            key=idempotence_key("charge", request.payment_id),
            body=body,
        )
        return self._translate(obj, "yookassa charge saved method")

    # -- internals -------------------------------------------------------------------
    def _payment_body(self, request: CheckoutRequest) -> dict[str, Any]:
        amount = request.amount
        minimum = self._config.minimum_charge
        if amount.currency is minimum.currency and amount < minimum:
            raise PaymentGatewayRejected(f"amount below the YooKassa minimum of {minimum}")
        if not amount.is_positive:
            raise PaymentGatewayRejected("amount must be positive")
        body: dict[str, Any] = {
            "amount": _format_amount(amount),
            "capture": True,
            "description": request.description[:_DESCRIPTION_LIMIT],
            "metadata": {
                "payment_id": str(request.payment_id),
                "telegram_id": str(request.telegram_id),
            },
        }
        if request.receipt is not None:
            defaults = self._config.receipt
            customer: dict[str, str] = {}
            if request.receipt.customer_email:
                customer["email"] = request.receipt.customer_email
            if request.receipt.customer_phone:
                customer["phone"] = request.receipt.customer_phone
            if not customer:
                raise PaymentGatewayRejected("a 54-FZ receipt needs the customer's email or phone")
            receipt: dict[str, Any] = {
                "customer": customer,
                "items": [
                    {
                        "description": request.receipt.item_description[:_DESCRIPTION_LIMIT],
                        "quantity": "1.00",
                        "amount": _format_amount(amount),
                        "vat_code": defaults.vat_code or request.receipt.vat_code,
                        "payment_subject": defaults.payment_subject,
                        "payment_mode": defaults.payment_mode,
                    }
                ],
            }
            if defaults.tax_system_code is not None:
                receipt["tax_system_code"] = defaults.tax_system_code
            body["receipt"] = receipt
        return body

    @staticmethod
    def _path_id(provider_payment_id: str) -> str:
        if not isinstance(provider_payment_id, str) or not _ID_RE.fullmatch(provider_payment_id):
            raise ProviderPaymentNotFound("not a YooKassa object id")
        return provider_payment_id

    @staticmethod
    def _translate(obj: dict[str, Any], what: str) -> ProviderPayment:
        try:
            return payment_from_object(obj)
        except (KeyError, TypeError, ValueError, DomainError) as exc:
            raise PaymentGatewayUnavailable(f"{what}: unexpected payment object") from exc

    def _retry_delay(self, response: httpx.Response, retry: int) -> float | None:
        policy = self._config.retry
        status = response.status_code
        if status == 202:
            delay_ms: Any = _DEFAULT_PROCESSING_DELAY_MS
            try:
                body = response.json()
                if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
                    delay_ms = body["retry_after"]
            except ValueError:
                pass
            return policy.server_delay(float(delay_ms) / 1000)
        if status == 429:
            header = response.headers.get("Retry-After", "")
            if header.isdigit():
                return policy.server_delay(float(header))
            return policy.backoff(retry, self._rng)
        if status in _RETRYABLE_STATUSES:
            return policy.backoff(retry, self._rng)
        return None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        key: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotence-Key"] = key
        url = f"{self._base}{path}"

        async def send() -> httpx.Response:
            return await self._client.request(
                method,
                url,
                json=body,
                headers=headers,
                auth=self._auth,
                timeout=self._timeout,
            )

        response = await send_with_retries(
            send,
            what=what,
            policy=self._config.retry,
            sleep=self._sleep,
            rng=self._rng,
            retry_delay=self._retry_delay,
            # every POST carries an Idempotence-Key and GETs are safe: always retryable
            retry_transport_error=lambda exc: True,
        )
        return self._result(response, what)

    @staticmethod
    def _result(response: httpx.Response, what: str) -> dict[str, Any]:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if status == 200:
            if not isinstance(payload, dict):
                raise PaymentGatewayUnavailable(f"{what}: response is not a JSON object")
            return payload
        error = payload if isinstance(payload, dict) else {}
        code = _safe_text(error.get("code"), 64) or "unknown"
        if status == 202:
            raise PaymentGatewayUnavailable(f"{what}: still processing at YooKassa")
        if status in _RETRYABLE_STATUSES or status >= 500:
            raise PaymentGatewayUnavailable(f"{what}: HTTP {status} ({code})")
        if status == 401:
            raise PaymentGatewayRejected(f"{what}: credentials rejected (invalid_credentials)")
        if status == 404:
            raise ProviderPaymentNotFound(f"{what}: not found")
        description = _safe_text(error.get("description"))
        parameter = _safe_text(error.get("parameter"), 64)
        detail = f"{code}: {description}" + (f" [{parameter}]" if parameter else "")
        raise PaymentGatewayRejected(f"{what}: HTTP {status} {detail}")
