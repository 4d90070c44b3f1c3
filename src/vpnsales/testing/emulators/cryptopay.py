"""Crypto Pay API (@CryptoBot) emulator (shared/CONTRACTS.md §5), real HTTP on loopback.

* ``/api/{method}`` by GET or POST; the token in the ``Crypto-Pay-API-Token`` header;
  parameters from the query string, a JSON body or a form body (merged, body wins).
* Envelope ``{ok:true, result}`` / ``{ok:false, error:{code, name}}``.
* ``createInvoice`` (crypto ``asset`` or ``fiat`` with ``accepted_assets``; limits on
  ``description`` ≤ 1024, ``payload`` ≤ 4 KB, ``expires_in`` 1–2 678 400 s),
  ``getInvoices`` (``invoice_ids``, ``status``, ``offset``, ``count`` ≤ 1000) →
  ``{items}``, ``deleteInvoice``, ``getMe``. Invoices expire by the injected clock.
* Hooks: :meth:`CryptoPayEmulator.pay`, :meth:`~CryptoPayEmulator.expire` and
  :meth:`~CryptoPayEmulator.deliver_webhook` (``invoice_paid`` updates signed like the
  real service: header ``crypto-pay-api-signature`` = hex HMAC-SHA256 with key
  SHA256(token) over the raw body).

Crypto Pay has **no refund API**: a refund of a crypto payment is recorded locally
only (and settled by a manual transfer), so the emulator offers none either.
Error names for the less common failures are modelled on the documented style
(``UNAUTHORIZED``, ``METHOD_NOT_FOUND``, ``*_INVALID``) and are not guaranteed to be
the exact strings of the real service.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from aiohttp import web

from vpnsales.testing.emulators.base import EmulatorServer

__all__ = ["CryptoPayEmulator", "WebhookDelivery", "cryptopay_signature"]

ASSETS = frozenset({"USDT", "TON", "BTC", "ETH", "LTC", "BNB", "TRX", "USDC", "SOL", "DOGE"})
FIATS = frozenset(
    {"USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL", "TRY", "AMD", "INR"}
)
_PAID_BUTTONS = frozenset({"viewItem", "openChannel", "openBot", "callback"})
_MAX_EXPIRES_IN = 2_678_400
_RATES_USD = {
    "USDT": Decimal(1),
    "USDC": Decimal(1),
    "TON": Decimal("5.2"),
    "BTC": Decimal(90000),
    "ETH": Decimal(3200),
    "LTC": Decimal(90),
    "BNB": Decimal(600),
    "TRX": Decimal("0.25"),
    "SOL": Decimal(150),
    "DOGE": Decimal("0.2"),
}
_FIAT_PER_USD = {"USD": Decimal(1), "EUR": Decimal("0.92"), "RUB": Decimal(95)}


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def cryptopay_signature(token: str, raw_body: bytes) -> str:
    """The ``crypto-pay-api-signature`` value for ``raw_body`` (emulator's own copy)."""
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, raw_body, hashlib.sha256).hexdigest()


class _ApiError(Exception):
    def __init__(self, code: int, name: str) -> None:
        super().__init__(name)
        self.code, self.name = code, name


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    status: int
    text: str
    body: bytes
    """The exact bytes sent."""


@dataclass
class CryptoPayEmulator(EmulatorServer):
    """In-process Crypto Pay. Base URL for clients: ``f"{emulator.base_url}/api"``."""

    token: str = field(default="12345:AAemulatorCryptoPayToken", repr=False)
    app_id: int = 12345
    app_name: str = "vpnsales-test"

    invoices: dict[int, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    creations: list[int] = field(default_factory=list, init=False, repr=False)
    deleted: list[int] = field(default_factory=list, init=False, repr=False)
    _next_invoice_id: int = field(default=1000, init=False, repr=False)
    _next_update_id: int = field(default=1, init=False, repr=False)

    # -- test hooks ------------------------------------------------------------------
    def invoice(self, invoice_id: int | str) -> dict[str, Any]:
        invoice = self._invoice(int(invoice_id))
        self._expire_if_due(invoice)
        return deepcopy(invoice)

    def pay(
        self,
        invoice_id: int | str,
        paid_asset: str = "USDT",
        paid_amount: Decimal | str | None = None,
    ) -> dict[str, Any]:
        """The customer paid the invoice (in ``paid_asset``)."""
        invoice = self._invoice(int(invoice_id))
        self._expire_if_due(invoice)
        if invoice["status"] != "active":
            raise ValueError(f"invoice {invoice_id} is {invoice['status']}, not active")
        if paid_asset not in ASSETS:
            raise ValueError(f"unknown asset {paid_asset!r}")
        amount = Decimal(invoice["amount"])
        usd_rate = _RATES_USD[paid_asset]
        if invoice["currency_type"] == "fiat":
            fiat_rate = usd_rate * _FIAT_PER_USD.get(invoice["fiat"], Decimal(1))
            computed = (amount / fiat_rate).quantize(Decimal("0.00000001"))
            invoice["paid_fiat_rate"] = f"{fiat_rate.normalize():f}"
        else:
            computed = amount
        paid = Decimal(str(paid_amount)) if paid_amount is not None else computed
        fee = (paid * Decimal("0.03")).quantize(Decimal("0.00000001"))
        invoice.update(
            status="paid",
            paid_asset=paid_asset,
            paid_amount=f"{paid.normalize():f}",
            paid_usd_rate=f"{usd_rate.normalize():f}",
            fee_asset=paid_asset,
            fee_amount=f"{fee.normalize():f}",
            paid_at=_iso(self.clock()),
            paid_anonymously=False,
        )
        return deepcopy(invoice)

    def expire(self, invoice_id: int | str) -> dict[str, Any]:
        invoice = self._invoice(int(invoice_id))
        if invoice["status"] != "active":
            raise ValueError(f"invoice {invoice_id} is {invoice['status']}, not active")
        invoice["status"] = "expired"
        return deepcopy(invoice)

    async def deliver_webhook(
        self,
        url: str,
        invoice_id: int | str,
        *,
        sign_with: str | None = None,
        tamper: bool = False,
        unsigned: bool = False,
    ) -> WebhookDelivery:
        """POST an ``invoice_paid`` update for the invoice to ``url``.

        Signed with the emulator's token, or with ``sign_with`` (a wrong token);
        ``tamper`` changes the amount *after* signing; ``unsigned`` omits the header.
        """
        invoice = self._invoice(int(invoice_id))
        update: dict[str, Any] = {
            "update_id": self._next_update_id,
            "update_type": "invoice_paid",
            "request_date": _iso(self.clock()),
            "payload": self._public(invoice),
        }
        self._next_update_id += 1
        raw = json.dumps(update, separators=(",", ":")).encode()
        signature = cryptopay_signature(sign_with if sign_with is not None else self.token, raw)
        if tamper:
            update["payload"]["amount"] = "0.01"
            raw = json.dumps(update, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if not unsigned:
            headers["crypto-pay-api-signature"] = signature
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=raw, headers=headers) as response,
        ):
            return WebhookDelivery(response.status, await response.text(), raw)

    # -- vendor error formats --------------------------------------------------------
    def throttled_response(self) -> web.StreamResponse:
        return web.json_response(
            {"ok": False, "error": {"code": 429, "name": "TOO_MANY_REQUESTS"}},
            status=429,
            headers={"Retry-After": str(self.faults.retry_after)},
        )

    def failure_response(self) -> web.StreamResponse:
        if self.faults.fail_body:
            return web.Response(status=self.faults.fail_status, body=self.faults.fail_body)
        return web.json_response(
            {"ok": False, "error": {"code": self.faults.fail_status, "name": "INTERNAL_ERROR"}},
            status=self.faults.fail_status,
        )

    # -- routes ----------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("GET", "/api/{method}", self._dispatch)
        app.router.add_route("POST", "/api/{method}", self._dispatch)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        methods = {
            "getMe": self._get_me,
            "createInvoice": self._create_invoice,
            "getInvoices": self._get_invoices,
            "deleteInvoice": self._delete_invoice,
        }
        try:
            supplied = request.headers.get("Crypto-Pay-API-Token", "")
            if not secrets.compare_digest(supplied.encode(), self.token.encode()):
                raise _ApiError(401, "UNAUTHORIZED")
            handler = methods.get(request.match_info["method"])
            if handler is None:
                raise _ApiError(405, "METHOD_NOT_FOUND")
            params = await self._params(request)
            result = handler(params)
        except _ApiError as exc:
            return web.json_response(
                {"ok": False, "error": {"code": exc.code, "name": exc.name}},
                status=exc.code if exc.code in {400, 401, 404, 405} else 400,
            )
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST":
            return params
        raw = await request.read()
        if not raw.strip():
            return params
        if request.content_type == "application/json":
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                raise _ApiError(400, "JSON_INVALID") from None
            if not isinstance(body, dict):
                raise _ApiError(400, "JSON_INVALID")
            params.update(body)
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    # -- parameter helpers -----------------------------------------------------------
    @staticmethod
    def _str(params: dict[str, Any], name: str) -> str | None:
        value = params.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _ApiError(400, f"{name.upper()}_INVALID")
        return str(value)

    @staticmethod
    def _bool(params: dict[str, Any], name: str, default: bool) -> bool:
        value = params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise _ApiError(400, f"{name.upper()}_INVALID")

    @staticmethod
    def _int(params: dict[str, Any], name: str) -> int | None:
        value = params.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise _ApiError(400, f"{name.upper()}_INVALID")
        try:
            return int(str(value), 10)
        except ValueError:
            raise _ApiError(400, f"{name.upper()}_INVALID") from None

    @staticmethod
    def _list(params: dict[str, Any], name: str) -> list[str] | None:
        value = params.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            items = [str(v) for v in value]
        elif isinstance(value, str | int):
            items = [part.strip() for part in str(value).split(",") if part.strip()]
        else:
            raise _ApiError(400, f"{name.upper()}_INVALID")
        return items

    # -- methods ---------------------------------------------------------------------
    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "name": self.app_name,
            "payment_processing_bot_username": "CryptoBot",
        }

    def _create_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        currency_type = self._str(params, "currency_type") or "crypto"
        if currency_type not in {"crypto", "fiat"}:
            raise _ApiError(400, "CURRENCY_TYPE_INVALID")
        raw_amount = self._str(params, "amount")
        if raw_amount is None:
            raise _ApiError(400, "AMOUNT_REQUIRED")
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            raise _ApiError(400, "AMOUNT_INVALID") from None
        if not amount.is_finite() or amount <= 0 or amount > Decimal(10) ** 9:
            raise _ApiError(400, "AMOUNT_INVALID")
        invoice: dict[str, Any] = {"currency_type": currency_type}
        if currency_type == "crypto":
            asset = self._str(params, "asset")
            if asset not in ASSETS:
                raise _ApiError(400, "ASSET_INVALID")
            invoice["asset"] = asset
        else:
            fiat = self._str(params, "fiat")
            if fiat not in FIATS:
                raise _ApiError(400, "FIAT_INVALID")
            invoice["fiat"] = fiat
            accepted = self._list(params, "accepted_assets")
            if accepted is not None:
                if not accepted or any(a not in ASSETS for a in accepted):
                    raise _ApiError(400, "ACCEPTED_ASSETS_INVALID")
                invoice["accepted_assets"] = accepted
        description = self._str(params, "description")
        if description is not None and len(description) > 1024:
            raise _ApiError(400, "DESCRIPTION_TOO_LONG")
        payload = self._str(params, "payload")
        if payload is not None and len(payload.encode()) > 4096:
            raise _ApiError(400, "PAYLOAD_TOO_LONG")
        expires_in = self._int(params, "expires_in")
        if expires_in is not None and not 1 <= expires_in <= _MAX_EXPIRES_IN:
            raise _ApiError(400, "EXPIRES_IN_INVALID")
        button = self._str(params, "paid_btn_name")
        button_url = self._str(params, "paid_btn_url")
        if button is not None and (button not in _PAID_BUTTONS or button_url is None):
            raise _ApiError(400, "PAID_BTN_NAME_INVALID")
        if button_url is not None and (
            button is None or not button_url.startswith(("http://", "https://"))
        ):
            raise _ApiError(400, "PAID_BTN_URL_INVALID")
        now = self.clock()
        invoice_id = self._next_invoice_id
        self._next_invoice_id += 1
        hash_ = "IV" + secrets.token_urlsafe(9).replace("-", "A").replace("_", "B")
        invoice.update(
            invoice_id=invoice_id,
            hash=hash_,
            amount=f"{amount.normalize():f}",
            status="active",
            bot_invoice_url=f"https://t.me/CryptoBot?start={hash_}",
            mini_app_invoice_url=f"https://t.me/CryptoBot/app?startapp=invoice-{hash_}",
            web_app_invoice_url=f"https://app.send.tg/invoices/{hash_}",
            created_at=_iso(now),
            allow_comments=self._bool(params, "allow_comments", True),
            allow_anonymous=self._bool(params, "allow_anonymous", True),
        )
        if description is not None:
            invoice["description"] = description
        if payload is not None:
            invoice["payload"] = payload
        if button is not None:
            invoice["paid_btn_name"], invoice["paid_btn_url"] = button, button_url
        if expires_in is not None:
            invoice["_expires"] = now + timedelta(seconds=expires_in)
            invoice["expiration_date"] = _iso(invoice["_expires"])
        self.invoices[invoice_id] = invoice
        self.creations.append(invoice_id)
        return self._public(invoice)

    def _get_invoices(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = self._list(params, "invoice_ids")
        wanted: set[int] | None = None
        if ids is not None:
            try:
                wanted = {int(i) for i in ids}
            except ValueError:
                raise _ApiError(400, "INVOICE_IDS_INVALID") from None
        status = self._str(params, "status")
        if status is not None and status not in {"active", "paid", "expired"}:
            raise _ApiError(400, "STATUS_INVALID")
        asset, fiat = self._str(params, "asset"), self._str(params, "fiat")
        offset = self._int(params, "offset") or 0
        count = self._int(params, "count")
        count = 100 if count is None else count
        if not 1 <= count <= 1000 or offset < 0:
            raise _ApiError(400, "COUNT_INVALID")
        items = []
        for invoice in sorted(self.invoices.values(), key=lambda i: -i["invoice_id"]):
            self._expire_if_due(invoice)
            if wanted is not None and invoice["invoice_id"] not in wanted:
                continue
            if status is not None and invoice["status"] != status:
                continue
            if asset is not None and invoice.get("asset") != asset:
                continue
            if fiat is not None and invoice.get("fiat") != fiat:
                continue
            items.append(self._public(invoice))
        return {"items": items[offset : offset + count]}

    def _delete_invoice(self, params: dict[str, Any]) -> bool:
        invoice_id = self._int(params, "invoice_id")
        if invoice_id is None or invoice_id not in self.invoices:
            raise _ApiError(400, "INVOICE_NOT_FOUND")
        del self.invoices[invoice_id]
        self.deleted.append(invoice_id)
        return True

    # -- helpers ---------------------------------------------------------------------
    def _invoice(self, invoice_id: int) -> dict[str, Any]:
        try:
            return self.invoices[invoice_id]
        except KeyError:
            raise KeyError(f"no invoice {invoice_id} in the emulator") from None

    def _expire_if_due(self, invoice: dict[str, Any]) -> None:
        due = invoice.get("_expires")
        if invoice["status"] == "active" and due is not None and self.clock() >= due:
            invoice["status"] = "expired"

    @staticmethod
    def _public(invoice: dict[str, Any]) -> dict[str, Any]:
        return {k: deepcopy(v) for k, v in invoice.items() if not k.startswith("_")}
