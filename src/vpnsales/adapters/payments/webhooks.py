"""Pure helpers to decide whether a payment webhook is authentic, and to parse it.

No I/O here; the web entrypoint composes them:

* **YooKassa** signs nothing. Trust needs both (shared/CONTRACTS.md §3):
  1. the client address — :func:`client_ip` over the TCP peer and ``X-Forwarded-For``,
     believing the header only from configured trusted proxies — is in
     :data:`YOOKASSA_NETWORKS` (:func:`is_yookassa_ip`); and
  2. the object is re-fetched with ``GET /payments/{id}`` and only the fetched state is
     believed. :func:`parse_yookassa_notice` only tells *what* to re-fetch.
* **Crypto Pay** signs the raw body: :func:`verify_cryptopay_signature` (HMAC-SHA256,
  key = SHA256(token), constant-time compare), then :func:`parse_cryptopay_notice`.

Parsers raise :class:`MalformedWebhook` — and nothing else — on any input they cannot
use. Secrets never reach messages.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "YOOKASSA_NETWORKS",
    "CryptoPayNotice",
    "IPAddress",
    "IPNetwork",
    "MalformedWebhook",
    "YooKassaNotice",
    "client_ip",
    "cryptopay_signature",
    "is_yookassa_ip",
    "parse_cryptopay_notice",
    "parse_networks",
    "parse_yookassa_notice",
    "verify_cryptopay_signature",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

YOOKASSA_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.154.128/25",
        "77.75.156.11/32",
        "77.75.156.35/32",
        "2a02:5180::/32",
    )
)
"""YooKassa's published notification source ranges (shared/CONTRACTS.md §3)."""

_MAX_BODY = 1024 * 1024
_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_EVENT_RE = re.compile(r"^[a-z_]{1,32}\.[a-z_]{1,32}$")


class MalformedWebhook(ValueError):
    """The webhook body is not a notification we understand."""


# -- addresses -----------------------------------------------------------------------
def _parse_ip(value: object) -> IPAddress | None:
    """An address from ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443`` or ``::ffff:…``."""
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        address: IPAddress = value
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            text = text[1 : text.find("]")] if "]" in text else ""
        elif text.count(":") == 1:  # IPv4 with a port
            text = text.split(":", 1)[0]
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None
    else:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return None
    return address


def parse_networks(networks: Iterable[str | IPNetwork | IPAddress]) -> tuple[IPNetwork, ...]:
    """Config values (``"10.0.0.0/8"``, ``"127.0.0.1"``, network objects) → networks."""
    parsed: list[IPNetwork] = []
    for item in networks:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            parsed.append(item)
        else:
            parsed.append(ipaddress.ip_network(str(item), strict=False))
    return tuple(parsed)


def _within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(
    peer_ip: str | IPAddress | None,
    x_forwarded_for_header: str | None,
    trusted_proxies: Iterable[str | IPNetwork | IPAddress],
) -> IPAddress | None:
    """The address of the client that really sent the request, or ``None`` if unknown.

    ``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy; the
    chain is then walked from the right, skipping trusted proxies, and the first other
    address is the client. Anything a client put to the left of that is ignored, so a
    spoofed header cannot smuggle an allow-listed address. An unparsable entry met
    before the client is found means ``None`` (fail closed). When every hop is a
    trusted proxy, the leftmost one is returned.
    """
    proxies = parse_networks(trusted_proxies)
    peer = _parse_ip(peer_ip)
    if peer is None:
        return None
    if not _within(peer, proxies) or not x_forwarded_for_header:
        return peer
    hops = [hop for hop in x_forwarded_for_header.split(",") if hop.strip()]
    if not hops:
        return peer
    last: IPAddress = peer
    for hop in reversed(hops):
        address = _parse_ip(hop)
        if address is None:
            return None
        if not _within(address, proxies):
            return address
        last = address
    return last


def is_yookassa_ip(ip: str | IPAddress | None) -> bool:
    """Whether ``ip`` lies in :data:`YOOKASSA_NETWORKS` (``False`` for garbage/None)."""
    address = _parse_ip(ip) if ip is not None else None
    return address is not None and _within(address, YOOKASSA_NETWORKS)


# -- Crypto Pay signature ------------------------------------------------------------
def cryptopay_signature(token: str, raw_body: bytes) -> str:
    """Hex HMAC-SHA256 of ``raw_body`` with key ``SHA256(token)`` (raw digest bytes)."""
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, raw_body, hashlib.sha256).hexdigest()


def verify_cryptopay_signature(
    token: str, raw_body: bytes, signature_header: str | bytes | None
) -> bool:
    """Constant-time check of the ``crypto-pay-api-signature`` header over the raw body."""
    if not token or not signature_header or not isinstance(raw_body, bytes | bytearray):
        return False
    supplied = (
        signature_header
        if isinstance(signature_header, bytes)
        else signature_header.encode("utf-8", "replace")
    )
    expected = cryptopay_signature(token, bytes(raw_body)).encode()
    return hmac.compare_digest(expected, supplied.strip().lower())


# -- notices -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class YooKassaNotice:
    """What a YooKassa notification points at. Re-fetch it before believing anything."""

    event: str
    """``payment.succeeded``, ``payment.waiting_for_capture``, ``payment.canceled``,
    ``refund.succeeded``, …"""
    object_id: str
    """The payment id, or the refund id for ``refund.*`` events."""
    payment_id: str | None = None
    """The payment to re-fetch: ``object_id`` for payment events, the refund's
    ``payment_id`` for refund events."""

    @property
    def is_payment_event(self) -> bool:
        return self.event.startswith("payment.")

    @property
    def is_refund_event(self) -> bool:
        return self.event.startswith("refund.")


@dataclass(frozen=True, slots=True)
class CryptoPayNotice:
    """An ``invoice_paid`` update; believable once its signature has been verified."""

    update_id: int
    update_type: str
    invoice_id: int
    status: str
    amount: Decimal
    currency: str
    """The invoice's fiat (``RUB``…) or crypto asset (``USDT``…)."""
    currency_type: str
    payload: str | None
    """Our payment id as sent in ``createInvoice``."""
    paid_at: datetime | None
    request_date: datetime | None

    @property
    def provider_payment_id(self) -> str:
        return str(self.invoice_id)


def _load_object(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, bytes | bytearray | str):
        raise MalformedWebhook("webhook body must be bytes")
    if len(raw) > _MAX_BODY:
        raise MalformedWebhook("webhook body too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedWebhook("webhook body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedWebhook("webhook body is not a JSON object")
    return data


def _id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise MalformedWebhook(f"{name} is missing or not an id")
    return value


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise MalformedWebhook(f"{name} is missing or not a non-negative integer")
    return value


def _when(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise MalformedWebhook(f"{name} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedWebhook(f"{name} is not a timestamp") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_yookassa_notice(raw: bytes | str | dict[str, Any]) -> YooKassaNotice:
    """``{type:"notification", event, object:{id, …}}`` → :class:`YooKassaNotice`."""
    data = _load_object(raw)
    if data.get("type") != "notification":
        raise MalformedWebhook("not a YooKassa notification")
    event = data.get("event")
    if not isinstance(event, str) or not _EVENT_RE.fullmatch(event):
        raise MalformedWebhook("event is missing or malformed")
    obj = data.get("object")
    if not isinstance(obj, dict):
        raise MalformedWebhook("object is missing")
    object_id = _id(obj.get("id"), "object.id")
    if event.startswith("refund."):
        payment_id: str | None = _id(obj.get("payment_id"), "object.payment_id")
    elif event.startswith("payment."):
        payment_id = object_id
    else:
        payment_id = None
    return YooKassaNotice(event=event, object_id=object_id, payment_id=payment_id)


def parse_cryptopay_notice(raw: bytes | str | dict[str, Any]) -> CryptoPayNotice:
    """``{update_id, update_type, request_date, payload:<Invoice>}`` → notice.

    Verify the signature over the *raw* bytes first; parse afterwards.
    """
    data = _load_object(raw)
    update_id = _int(data.get("update_id"), "update_id")
    update_type = data.get("update_type")
    if not isinstance(update_type, str) or not 1 <= len(update_type) <= 64:
        raise MalformedWebhook("update_type is missing")
    invoice = data.get("payload")
    if not isinstance(invoice, dict):
        raise MalformedWebhook("payload (the invoice) is missing")
    invoice_id = _int(invoice.get("invoice_id"), "payload.invoice_id")
    status = invoice.get("status")
    if not isinstance(status, str) or status not in {"active", "paid", "expired"}:
        raise MalformedWebhook("payload.status is missing or unknown")
    currency_type = invoice.get("currency_type", "crypto")
    if not isinstance(currency_type, str) or currency_type not in {"crypto", "fiat"}:
        raise MalformedWebhook("payload.currency_type is unknown")
    currency = invoice.get("fiat") if currency_type == "fiat" else invoice.get("asset")
    if not isinstance(currency, str) or not 1 <= len(currency) <= 16:
        raise MalformedWebhook("payload has no fiat/asset")
    raw_amount = invoice.get("amount")
    if not isinstance(raw_amount, str) or len(raw_amount) > 64:
        raise MalformedWebhook("payload.amount is missing")
    try:
        amount = Decimal(raw_amount)
    except InvalidOperation:
        raise MalformedWebhook("payload.amount is not a decimal") from None
    if not amount.is_finite() or amount <= 0:
        raise MalformedWebhook("payload.amount must be positive")
    payload = invoice.get("payload")
    if payload is not None and not isinstance(payload, str):
        raise MalformedWebhook("payload.payload is not a string")
    return CryptoPayNotice(
        update_id=update_id,
        update_type=update_type,
        invoice_id=invoice_id,
        status=status,
        amount=amount,
        currency=currency,
        currency_type=currency_type,
        payload=payload,
        paid_at=_when(invoice.get("paid_at"), "payload.paid_at"),
        request_date=_when(data.get("request_date"), "request_date"),
    )
