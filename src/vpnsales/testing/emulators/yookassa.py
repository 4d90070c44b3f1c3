"""YooKassa API v3 emulator (shared/CONTRACTS.md §3), served over real HTTP on loopback.

What it does, like the real API:

* HTTP Basic ``shopId:secretKey`` on every request (401 ``invalid_credentials``).
* ``Idempotence-Key`` on every POST (≤ 64 chars of ``[0-9a-zA-Z+-_.]``). A repeated key
  with the same request replays the original 200 answer (no second object is created);
  the same key with a different method, path or body is refused with 400
  ``invalid_request`` (``Idempotence key duplicated``). Only successful answers are
  remembered, so a request refused for validation can be corrected and retried.
* Error bodies ``{type:"error", id, code, description, parameter?, retry_after?}``.
* ``POST /v3/payments`` (redirect confirmation, description ≤ 128, metadata ≤ 16
  string keys, 54-FZ receipt validation, ``save_payment_method``, charges of a saved
  ``payment_method_id`` without confirmation that succeed or fail at once),
  ``GET /v3/payments/{id}``, ``POST /v3/payments/{id}/capture|cancel`` (only in
  ``waiting_for_capture``), ``POST /v3/refunds`` and ``GET /v3/refunds/{id}``.

Fault hooks on top of :class:`~vpnsales.testing.emulators.base.Faults`:

* :meth:`YooKassaEmulator.processing_next` — the next N POSTs answer **202** "still
  processing" with ``retry_after`` in milliseconds. The SDKs (PHP ``BaseClient``,
  Python ``ResponseProcessingError``) read ``type``, ``description`` and
  ``retry_after`` from that body; the exact ``type`` value is not published, so the
  emulator keeps the error format (``type:"error"``, ``code:"processing"``).
* :meth:`YooKassaEmulator.fail_next_posts` — the next N POSTs answer 500; with
  ``after_processing=True`` the operation is carried out first (outcome unknown to the
  client), so a retry with the same key gets the replay.
* :meth:`YooKassaEmulator.decline_next_recurring` — the next saved-method charges are
  canceled with the given reason.

Test hooks (plain Python, no HTTP): :meth:`~YooKassaEmulator.succeed` (optionally with
another amount, to simulate a mismatch), :meth:`~YooKassaEmulator.cancel`,
:meth:`~YooKassaEmulator.refund`, :meth:`~YooKassaEmulator.payment` and
:meth:`~YooKassaEmulator.deliver_webhook`.

**Webhook source addresses.** YooKassa webhooks carry no signature; the receiver
trusts them by source IP (the published ranges) and by re-fetching the payment. The
emulator cannot spoof a TCP source address: deliveries always come from 127.0.0.1.
In tests configure the *target app* to trust ``127.0.0.1`` as a reverse proxy; the
emulator then sends ``X-Forwarded-For: <source_ip>`` (default ``185.71.76.1``, inside
YooKassa's ranges), exactly as a proxy in front of the app would. Pass
``forwarded_for`` to send an arbitrary header value (for instance a spoofed chain), or
``source_ip=None`` to send no ``X-Forwarded-For`` at all (the app then sees only the
loopback peer and must refuse the notification).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from aiohttp import web

from vpnsales.testing.emulators.base import EmulatorServer

__all__ = ["WebhookDelivery", "YooKassaEmulator"]

_KEY_RE = re.compile(r"^[0-9a-zA-Z+\-_.]{1,64}$")
_AMOUNT_RE = re.compile(r"^\d{1,10}\.\d{2}$")
_LOOSE_AMOUNT_RE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_CURRENCIES = frozenset({"RUB", "USD", "EUR", "BYN", "KZT", "UAH", "UZS", "TRY", "AMD", "AZN"})
_REASONS = frozenset(
    {
        "3d_secure_failed",
        "call_issuer",
        "canceled_by_merchant",
        "card_expired",
        "country_forbidden",
        "deal_expired",
        "expired_on_capture",
        "expired_on_confirmation",
        "fraud_suspected",
        "general_decline",
        "identification_required",
        "insufficient_funds",
        "internal_timeout",
        "invalid_card_number",
        "invalid_csc",
        "issuer_unavailable",
        "payment_method_limit_exceeded",
        "payment_method_restricted",
        "permission_revoked",
    }
)
_MERCHANT_REASONS = frozenset({"canceled_by_merchant", "expired_on_capture"})
_BANK_REASONS = frozenset(
    {
        "3d_secure_failed",
        "call_issuer",
        "card_expired",
        "insufficient_funds",
        "invalid_card_number",
        "invalid_csc",
        "issuer_unavailable",
        "payment_method_limit_exceeded",
    }
)


def _iso(at: datetime) -> str:
    """YooKassa's timestamp format: UTC, milliseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _new_payment_id() -> str:
    """Ids shaped like the real ones: ``2d8b6f4e-000f-5000-9000-1b2c3d4e5f60``."""
    return f"{secrets.token_hex(4)}-000f-5000-{secrets.choice('89ab')}000-{secrets.token_hex(6)}"


def _new_refund_id() -> str:
    return f"{secrets.token_hex(4)}-0015-5000-{secrets.choice('89ab')}000-{secrets.token_hex(6)}"


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        parameter: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
        self.parameter, self.retry_after = parameter, retry_after


def _invalid(description: str, parameter: str | None = None) -> _ApiError:
    return _ApiError(400, "invalid_request", description, parameter)


def _error_body(
    code: str,
    description: str,
    parameter: str | None = None,
    retry_after: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "error",
        "id": str(uuid.uuid4()),
        "code": code,
        "description": description,
    }
    if parameter is not None:
        body["parameter"] = parameter
    if retry_after is not None:
        body["retry_after"] = retry_after
    return body


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """What the target app answered to a delivered notification."""

    status: int
    text: str


@dataclass(slots=True)
class _Stored:
    fingerprint: tuple[str, str, str]
    body: dict[str, Any]


@dataclass
class YooKassaEmulator(EmulatorServer):
    """In-process YooKassa. Base URL for clients: ``f"{emulator.base_url}/v3"``."""

    shop_id: str = "123456"
    secret_key: str = field(default="test_secret_key_emulator", repr=False)
    test: bool = True
    strict_amounts: bool = True
    """Require ``amount.value`` as a JSON string with exactly two decimals (catches floats)."""
    receipt_required: bool = False
    """The shop issues 54-FZ receipts: a payment without ``receipt`` is refused."""
    confirmation_ttl: timedelta = timedelta(hours=1)
    capture_ttl: timedelta = timedelta(days=7)
    fee_percent: Decimal = Decimal("3.5")

    payments: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    saved_methods: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    creations: list[str] = field(default_factory=list, init=False, repr=False)
    """Ids of payments in creation order (a replayed request adds nothing)."""
    refund_creations: list[str] = field(default_factory=list, init=False, repr=False)
    idempotence_keys: list[str] = field(default_factory=list, init=False, repr=False)
    """Every ``Idempotence-Key`` received, in order, replays and retries included."""

    _stored: dict[str, _Stored] = field(default_factory=dict, init=False, repr=False)
    _processing_count: int = field(default=0, init=False, repr=False)
    _processing_retry_after: int = field(default=1800, init=False, repr=False)
    _post_fail_count: int = field(default=0, init=False, repr=False)
    _post_fail_after: bool = field(default=False, init=False, repr=False)
    _declines: list[str] = field(default_factory=list, init=False, repr=False)

    # -- fault hooks -----------------------------------------------------------------
    def processing_next(self, count: int, retry_after_ms: int = 1800) -> None:
        """The next ``count`` POSTs answer 202 "still processing" (nothing is done)."""
        self._processing_count, self._processing_retry_after = count, retry_after_ms

    def fail_next_posts(self, count: int, *, after_processing: bool = False) -> None:
        """The next ``count`` POSTs answer 500; optionally after doing the work."""
        self._post_fail_count, self._post_fail_after = count, after_processing

    def decline_next_recurring(self, *reasons: str) -> None:
        """Cancel the next saved-method charges, one per given reason."""
        for reason in reasons or ("insufficient_funds",):
            if reason not in _REASONS:
                raise ValueError(f"unknown cancellation reason {reason!r}")
            self._declines.append(reason)

    # -- test hooks ------------------------------------------------------------------
    def payment(self, payment_id: str) -> dict[str, Any]:
        """A copy of the payment object as the API would show it."""
        return self._public(self._payment(payment_id))

    def succeed(self, payment_id: str, amount: Decimal | str | None = None) -> dict[str, Any]:
        """The customer paid. ``amount`` overrides what the provider reports (mismatch).

        With ``capture: true`` the payment becomes ``succeeded``; otherwise
        ``waiting_for_capture`` (then capture or cancel through the API).
        """
        payment = self._payment(payment_id)
        self._expire_if_due(payment)
        if payment["status"] != "pending":
            raise ValueError(f"payment {payment_id} is {payment['status']}, not pending")
        if amount is not None:
            payment["amount"]["value"] = f"{Decimal(str(amount)):.2f}"
        self._attach_method(payment, payment.pop("_save", False))
        payment["paid"] = True
        payment.pop("confirmation", None)
        if payment.pop("_capture", True):
            self._mark_succeeded(payment)
        else:
            payment["status"] = "waiting_for_capture"
            payment["_capture_expires"] = self.clock() + self.capture_ttl
            payment["expires_at"] = _iso(payment["_capture_expires"])
        return self._public(payment)

    def cancel(self, payment_id: str, reason: str = "expired_on_confirmation") -> dict[str, Any]:
        """The payment is canceled at YooKassa's side (timeout, bank decline, …)."""
        if reason not in _REASONS:
            raise ValueError(f"unknown cancellation reason {reason!r}")
        payment = self._payment(payment_id)
        if payment["status"] in {"succeeded", "canceled"}:
            raise ValueError(f"payment {payment_id} is already {payment['status']}")
        self._mark_canceled(payment, reason)
        return self._public(payment)

    def refund(self, payment_id: str, amount: Decimal | str | None = None) -> dict[str, Any]:
        """Refund (in full by default) as if done from the merchant dashboard."""
        payment = self._payment(payment_id)
        value = Decimal(str(amount)) if amount is not None else self._refundable_left(payment)
        refund = self._create_refund(payment, value, description=None)
        return deepcopy(refund)

    async def deliver_webhook(
        self,
        url: str,
        event: str,
        payment_id: str,
        *,
        source_ip: str | None = "185.71.76.1",
        forwarded_for: str | None = None,
        body_override: bytes | str | dict[str, Any] | None = None,
    ) -> WebhookDelivery:
        """POST a notification ``{type, event, object}`` to ``url``.

        ``payment_id`` names the object: for ``refund.*`` events it may be a refund id
        or a payment id (its latest refund is sent). The request comes from 127.0.0.1
        with ``X-Forwarded-For: <forwarded_for or source_ip>``; ``source_ip=None`` and
        no ``forwarded_for`` sends no such header. ``body_override`` replaces the body
        (bytes/str sent verbatim, a dict JSON-encoded).
        """
        if body_override is None:
            obj = self._event_object(event, payment_id)
            raw = json.dumps({"type": "notification", "event": event, "object": obj}).encode()
        elif isinstance(body_override, bytes):
            raw = body_override
        elif isinstance(body_override, str):
            raw = body_override.encode()
        else:
            raw = json.dumps(body_override).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "YooKassa"}
        xff = forwarded_for if forwarded_for is not None else source_ip
        if xff is not None:
            headers["X-Forwarded-For"] = xff
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=raw, headers=headers) as response,
        ):
            return WebhookDelivery(response.status, await response.text())

    # -- vendor error formats --------------------------------------------------------
    def throttled_response(self) -> web.StreamResponse:
        return web.json_response(
            _error_body("too_many_requests", "Too many requests. Try again later."),
            status=429,
            headers={"Retry-After": str(self.faults.retry_after)},
        )

    def failure_response(self) -> web.StreamResponse:
        if self.faults.fail_body:
            return web.Response(status=self.faults.fail_status, body=self.faults.fail_body)
        return web.json_response(
            _error_body(
                "internal_server_error",
                "Internal server error. Repeat the request with the same Idempotence-Key.",
            ),
            status=self.faults.fail_status,
        )

    # -- routes ----------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/payments", self._h_create_payment)
        app.router.add_get("/v3/payments/{id}", self._h_get_payment)
        app.router.add_post("/v3/payments/{id}/capture", self._h_capture)
        app.router.add_post("/v3/payments/{id}/cancel", self._h_cancel)
        app.router.add_post("/v3/refunds", self._h_create_refund)
        app.router.add_get("/v3/refunds/{id}", self._h_get_refund)
        app.router.add_route("*", "/{tail:.*}", self._h_not_found)

    async def _h_not_found(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(_error_body("not_found", "Unknown API method or path"), status=404)

    async def _h_create_payment(self, request: web.Request) -> web.StreamResponse:
        return await self._post(request, lambda body: self._create_payment(body))

    async def _h_capture(self, request: web.Request) -> web.StreamResponse:
        pid = request.match_info["id"]
        return await self._post(request, lambda body: self._capture(pid, body), body_optional=True)

    async def _h_cancel(self, request: web.Request) -> web.StreamResponse:
        pid = request.match_info["id"]
        return await self._post(request, lambda body: self._cancel_api(pid), body_optional=True)

    async def _h_create_refund(self, request: web.Request) -> web.StreamResponse:
        return await self._post(request, self._create_refund_api)

    async def _h_get_payment(self, request: web.Request) -> web.StreamResponse:
        try:
            self._authenticate(request)
            return web.json_response(self._public(self._payment_api(request.match_info["id"])))
        except _ApiError as exc:
            return self._error_response(exc)

    async def _h_get_refund(self, request: web.Request) -> web.StreamResponse:
        try:
            self._authenticate(request)
            refund = self.refunds.get(request.match_info["id"])
            if refund is None:
                raise _ApiError(404, "not_found", "Refund doesn't exist or access denied")
            return web.json_response(self._public(refund))
        except _ApiError as exc:
            return self._error_response(exc)

    # -- request plumbing ------------------------------------------------------------
    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        ok = False
        if scheme.lower() == "basic" and encoded:
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            login, sep, password = decoded.partition(":")
            ok = bool(sep) and secrets.compare_digest(
                login.encode(), self.shop_id.encode()
            ) & secrets.compare_digest(password.encode(), self.secret_key.encode())
        if not ok:
            raise _ApiError(
                401,
                "invalid_credentials",
                "Login and password are incorrect or the account is blocked. "
                "Check the shopId and the secret key.",
                parameter="Authorization",
            )

    async def _post(
        self,
        request: web.Request,
        operation: Any,
        *,
        body_optional: bool = False,
    ) -> web.StreamResponse:
        try:
            self._authenticate(request)
            key = request.headers.get("Idempotence-Key")
            if key is None:
                raise _invalid("Idempotence-Key header is required", "Idempotence-Key")
            self.idempotence_keys.append(key)
            if not _KEY_RE.fullmatch(key):
                raise _invalid(
                    "Idempotence-Key must be 1-64 characters of [0-9a-zA-Z+-_.]",
                    "Idempotence-Key",
                )
            raw = await request.read()
            body = self._parse_body(raw, optional=body_optional)
            fingerprint = (request.method, request.path, json.dumps(body, sort_keys=True))
            stored = self._stored.get(key)
            if stored is not None and stored.fingerprint != fingerprint:
                raise _invalid("Idempotence key duplicated", "Idempotence-Key")
            if stored is None and self._processing_count > 0:
                self._processing_count -= 1
                return web.json_response(
                    _error_body(
                        "processing",
                        "Request accepted, but not processed yet. "
                        "Repeat it with the same Idempotence-Key after retry_after ms.",
                        retry_after=self._processing_retry_after,
                    ),
                    status=202,
                )
            if self._post_fail_count > 0 and not self._post_fail_after:
                self._post_fail_count -= 1
                return self._internal_error()
            if stored is not None:
                result = stored.body
            else:
                result = self._public(operation(body))
                self._stored[key] = _Stored(fingerprint, result)
            if self._post_fail_count > 0:
                self._post_fail_count -= 1
                return self._internal_error()
            return web.json_response(deepcopy(result))
        except _ApiError as exc:
            return self._error_response(exc)

    @staticmethod
    def _parse_body(raw: bytes, *, optional: bool) -> dict[str, Any]:
        if not raw.strip():
            if optional:
                return {}
            raise _invalid("Request body is empty")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise _invalid("Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _invalid("Request body must be a JSON object")
        return body

    @staticmethod
    def _error_response(exc: _ApiError) -> web.StreamResponse:
        return web.json_response(
            _error_body(exc.code, exc.description, exc.parameter, exc.retry_after),
            status=exc.status,
        )

    @staticmethod
    def _internal_error() -> web.StreamResponse:
        return web.json_response(
            _error_body("internal_server_error", "Internal server error. Outcome unknown."),
            status=500,
        )

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    # -- validation ------------------------------------------------------------------
    def _amount(self, value: Any, parameter: str) -> tuple[Decimal, str]:
        if not isinstance(value, dict):
            raise _invalid("amount must be an object {value, currency}", parameter)
        raw, currency = value.get("value"), value.get("currency")
        pattern = _AMOUNT_RE if self.strict_amounts else _LOOSE_AMOUNT_RE
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise _invalid(
                'amount.value must be a decimal string with two decimals, e.g. "199.00"',
                f"{parameter}.value",
            )
        if currency not in _CURRENCIES:
            raise _invalid("Unsupported currency", f"{parameter}.currency")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise _invalid("Invalid amount", f"{parameter}.value") from None
        if amount <= 0:
            raise _invalid("Amount must be greater than zero", f"{parameter}.value")
        return amount, currency

    @staticmethod
    def _metadata(value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _invalid("metadata must be an object", "metadata")
        if len(value) > 16:
            raise _invalid("metadata may hold at most 16 keys", "metadata")
        for key, item in value.items():
            if len(key) > 32 or not isinstance(item, str) or len(item) > 512:
                raise _invalid(
                    "metadata keys ≤ 32 characters, values strings ≤ 512 characters",
                    "metadata",
                )
        return dict(value)

    def _receipt(self, value: Any, amount: Decimal, currency: str) -> None:
        if value is None:
            if self.receipt_required:
                raise _invalid("Receipt is missing or illegal", "receipt")
            return
        if not isinstance(value, dict):
            raise _invalid("receipt must be an object", "receipt")
        customer = value.get("customer")
        if not isinstance(customer, dict) or not (
            isinstance(customer.get("email"), str) or isinstance(customer.get("phone"), str)
        ):
            raise _invalid("receipt.customer needs an email or a phone", "receipt.customer")
        items = value.get("items")
        if not isinstance(items, list) or not items or len(items) > 100:
            raise _invalid("receipt.items must hold 1-100 items", "receipt.items")
        total = Decimal(0)
        for index, item in enumerate(items):
            where = f"receipt.items[{index}]"
            if not isinstance(item, dict):
                raise _invalid("receipt item must be an object", where)
            description = item.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 128:
                raise _invalid("item description must be 1-128 characters", where)
            try:
                quantity = Decimal(str(item.get("quantity")))
            except InvalidOperation:
                raise _invalid("item quantity must be a number", where) from None
            if not quantity.is_finite() or quantity <= 0:
                raise _invalid("item quantity must be positive", where)
            value_, item_currency = self._amount(item.get("amount"), f"{where}.amount")
            if item_currency != currency:
                raise _invalid("item currency differs from the payment's", where)
            vat = item.get("vat_code")
            if not isinstance(vat, int) or isinstance(vat, bool) or not 1 <= vat <= 12:
                raise _invalid("vat_code must be an integer 1-12", f"{where}.vat_code")
            if not isinstance(item.get("payment_subject", "service"), str) or not isinstance(
                item.get("payment_mode", "full_payment"), str
            ):
                raise _invalid("payment_subject/payment_mode must be strings", where)
            total += value_ * quantity
        if total != amount:
            raise _invalid(
                "Sum of receipt items amounts differs from the payment amount", "receipt.items"
            )

    # -- operations ------------------------------------------------------------------
    def _payment(self, payment_id: str) -> dict[str, Any]:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise KeyError(f"no payment {payment_id!r} in the emulator") from None

    def _payment_api(self, payment_id: str) -> dict[str, Any]:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise _ApiError(404, "not_found", "Payment doesn't exist or access denied")
        self._expire_if_due(payment)
        return payment

    def _expire_if_due(self, payment: dict[str, Any]) -> None:
        now = self.clock()
        due = payment.get("_confirmation_expires")
        if payment["status"] == "pending" and due is not None and now >= due:
            self._mark_canceled(payment, "expired_on_confirmation")
        elif payment["status"] == "waiting_for_capture" and now >= payment["_capture_expires"]:
            self._mark_canceled(payment, "expired_on_capture")

    def _create_payment(self, body: dict[str, Any]) -> dict[str, Any]:
        amount, currency = self._amount(body.get("amount"), "amount")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 128):
            raise _invalid("description must be a string of at most 128 characters", "description")
        metadata = self._metadata(body.get("metadata"))
        capture = body.get("capture", False)
        if not isinstance(capture, bool):
            raise _invalid("capture must be a boolean", "capture")
        save = body.get("save_payment_method", False)
        if not isinstance(save, bool):
            raise _invalid("save_payment_method must be a boolean", "save_payment_method")
        self._receipt(body.get("receipt"), amount, currency)
        method_id = body.get("payment_method_id")
        confirmation = body.get("confirmation")
        now = self.clock()
        pid = _new_payment_id()
        payment: dict[str, Any] = {
            "id": pid,
            "status": "pending",
            "paid": False,
            "amount": {"value": f"{amount:.2f}", "currency": currency},
            "created_at": _iso(now),
            "metadata": metadata,
            "recipient": {"account_id": self.shop_id, "gateway_id": "2000001"},
            "refundable": False,
            "test": self.test,
        }
        if description is not None:
            payment["description"] = description
        if body.get("receipt") is not None:
            payment["receipt_registration"] = "pending"
        if method_id is not None:
            if confirmation is not None:
                raise _invalid(
                    "confirmation is not allowed with a saved payment_method_id", "confirmation"
                )
            method = self.saved_methods.get(method_id) if isinstance(method_id, str) else None
            if method is None:
                raise _invalid("Payment method is not saved or unknown", "payment_method_id")
            payment["payment_method"] = deepcopy(method)
            payment["paid"] = True
            self._register(payment)
            if self._declines:
                payment["paid"] = False
                self._mark_canceled(payment, self._declines.pop(0))
            elif capture:
                self._mark_succeeded(payment)
            else:
                payment["status"] = "waiting_for_capture"
                payment["_capture_expires"] = now + self.capture_ttl
                payment["expires_at"] = _iso(now + self.capture_ttl)
            return payment
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
            raise _invalid("confirmation {type: redirect, return_url} is required", "confirmation")
        return_url = confirmation.get("return_url")
        if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
            raise _invalid("confirmation.return_url must be an URL", "confirmation.return_url")
        payment["confirmation"] = {
            "type": "redirect",
            "return_url": return_url,
            "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={pid}",
        }
        payment["_capture"] = capture
        payment["_save"] = save
        payment["_confirmation_expires"] = now + self.confirmation_ttl
        self._register(payment)
        return payment

    def _register(self, payment: dict[str, Any]) -> None:
        self.payments[payment["id"]] = payment
        self.creations.append(payment["id"])

    def _attach_method(self, payment: dict[str, Any], save: bool) -> None:
        method_id = payment["id"]  # YooKassa reuses the first payment's id for the method
        method = {
            "type": "bank_card",
            "id": method_id,
            "saved": save,
            "title": "Bank card *4444",
            "card": {
                "first6": "555555",
                "last4": "4444",
                "expiry_month": "12",
                "expiry_year": "2030",
                "card_type": "MasterCard",
            },
        }
        payment["payment_method"] = method
        if save:
            self.saved_methods[method_id] = deepcopy(method)

    def _mark_succeeded(self, payment: dict[str, Any]) -> None:
        now = self.clock()
        amount = Decimal(payment["amount"]["value"])
        fee = (amount * self.fee_percent / 100).quantize(Decimal("0.01"))
        payment.update(
            status="succeeded",
            paid=True,
            captured_at=_iso(now),
            refundable=True,
            income_amount={
                "value": f"{amount - fee:.2f}",
                "currency": payment["amount"]["currency"],
            },
        )
        payment.pop("expires_at", None)
        if payment.get("receipt_registration") == "pending":
            payment["receipt_registration"] = "succeeded"

    def _mark_canceled(self, payment: dict[str, Any], reason: str) -> None:
        if reason in _MERCHANT_REASONS:
            party = "merchant"
        elif reason in _BANK_REASONS:
            party = "payment_network"
        else:
            party = "yoo_money"
        payment.update(
            status="canceled",
            paid=False,
            refundable=False,
            cancellation_details={"party": party, "reason": reason},
        )
        payment.pop("expires_at", None)
        payment.pop("confirmation", None)
        if payment.get("receipt_registration") == "pending":
            payment["receipt_registration"] = "canceled"

    def _capture(self, payment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        payment = self._payment_api(payment_id)
        if payment["status"] != "waiting_for_capture":
            raise _invalid(f"Payment in status {payment['status']} can't be captured", "payment_id")
        if "amount" in body:
            amount, currency = self._amount(body["amount"], "amount")
            if currency != payment["amount"]["currency"] or amount > Decimal(
                payment["amount"]["value"]
            ):
                raise _invalid("Capture amount exceeds the payment amount", "amount")
            payment["amount"]["value"] = f"{amount:.2f}"
        self._mark_succeeded(payment)
        return payment

    def _cancel_api(self, payment_id: str) -> dict[str, Any]:
        payment = self._payment_api(payment_id)
        if payment["status"] != "waiting_for_capture":
            raise _invalid(f"Payment in status {payment['status']} can't be canceled", "payment_id")
        self._mark_canceled(payment, "canceled_by_merchant")
        return payment

    def _refundable_left(self, payment: dict[str, Any]) -> Decimal:
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        return Decimal(payment["amount"]["value"]) - refunded

    def _create_refund_api(self, body: dict[str, Any]) -> dict[str, Any]:
        payment_id = body.get("payment_id")
        if not isinstance(payment_id, str):
            raise _invalid("payment_id is required", "payment_id")
        payment = self.payments.get(payment_id)
        if payment is None:
            raise _invalid("Payment doesn't exist", "payment_id")
        amount, currency = self._amount(body.get("amount"), "amount")
        if currency != payment["amount"]["currency"]:
            raise _invalid("Refund currency differs from the payment's", "amount.currency")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 250):
            raise _invalid("description must be at most 250 characters", "description")
        return self._create_refund(payment, amount, description)

    def _create_refund(
        self, payment: dict[str, Any], amount: Decimal, description: str | None
    ) -> dict[str, Any]:
        if payment["status"] != "succeeded":
            raise _invalid(f"Payment in status {payment['status']} can't be refunded", "payment_id")
        if amount <= 0 or amount > self._refundable_left(payment):
            raise _invalid("Refund amount exceeds the amount left to refund", "amount.value")
        currency = payment["amount"]["currency"]
        refund: dict[str, Any] = {
            "id": _new_refund_id(),
            "payment_id": payment["id"],
            "status": "succeeded",
            "created_at": _iso(self.clock()),
            "amount": {"value": f"{amount:.2f}", "currency": currency},
        }
        if description:
            refund["description"] = description
        self.refunds[refund["id"]] = refund
        self.refund_creations.append(refund["id"])
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0")) + amount
        payment["refunded_amount"] = {"value": f"{refunded:.2f}", "currency": currency}
        payment["refundable"] = refunded < Decimal(payment["amount"]["value"])
        return refund

    def _event_object(self, event: str, object_id: str) -> dict[str, Any]:
        if event.startswith("refund."):
            refund = self.refunds.get(object_id)
            if refund is None:
                matching = [r for r in self.refunds.values() if r["payment_id"] == object_id]
                if not matching:
                    raise KeyError(f"no refund for {object_id!r} in the emulator")
                refund = matching[-1]
            return self._public(refund)
        return self._public(self._payment(object_id))
