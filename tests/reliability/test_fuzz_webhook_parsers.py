"""Fuzzing of every webhook parser and signature check.

Properties: whatever the bytes, headers or addresses, a parser either returns a notice
that satisfies its own contract or raises ``MalformedWebhook`` — never anything else;
a signature check answers ``True`` only for the genuine signature of these exact bytes.
The default run keeps ``max_examples`` small; ``--slow`` runs thousands.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import json
import re
from typing import Any

import pytest
from aiogram import Dispatcher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.adapters.panels.remnawave import verify_webhook_signature
from vpnsales.adapters.payments.webhooks import (
    YOOKASSA_NETWORKS,
    MalformedWebhook,
    client_ip,
    cryptopay_signature,
    is_yookassa_ip,
    parse_cryptopay_notice,
    parse_yookassa_notice,
    verify_cryptopay_signature,
)
from vpnsales.application.interactors.system.apply_panel_event import PanelEventKind
from vpnsales.domain.ids import PanelId
from vpnsales.entrypoints.web.remnawave import parse_remnawave_event
from vpnsales.entrypoints.web.webhooks import TelegramWebhook

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

# -- strategies ------------------------------------------------------------------------
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
ids = st.from_regex(r"\A[0-9A-Za-z_-]{1,64}\Z") | st.text(max_size=70)
events = st.sampled_from(
    [
        "payment.succeeded",
        "payment.canceled",
        "payment.waiting_for_capture",
        "refund.succeeded",
        "payout.succeeded",
        "deal.closed",
    ]
) | st.text(max_size=40)
timestamps = (
    st.none()
    | st.sampled_from(
        ["2026-11-22T05:00:00Z", "2026-11-22T05:00:00.123+03:00", "2026-11-22", "yesterday", ""]
    )
    | st.text(max_size=70)
)


def _mutate(obj: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Replace, drop or retype some keys of a well-formed body (one level deep)."""
    out = dict(obj)
    if not obj:
        return out
    for key in data.draw(st.lists(st.sampled_from(sorted(obj)), max_size=3, unique=True)):
        action = data.draw(st.sampled_from(["drop", "replace"]))
        if action == "drop":
            out.pop(key, None)
        else:
            out[key] = data.draw(json_values)
    return out


@st.composite
def yookassa_bodies(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": draw(ids), "status": draw(st.text(max_size=20))}
    if draw(st.booleans()):
        obj["payment_id"] = draw(ids)
    body: dict[str, Any] = {
        "type": draw(st.sampled_from(["notification", "Notification", ""]) | st.text(max_size=12)),
        "event": draw(events),
        "object": obj if draw(st.integers(0, 9)) else draw(json_values),
    }
    return body


@st.composite
def cryptopay_bodies(draw: st.DrawFn) -> dict[str, Any]:
    currency_type = draw(st.sampled_from(["crypto", "fiat", "other"]))
    invoice: dict[str, Any] = {
        "invoice_id": draw(st.integers(min_value=-5, max_value=2**64) | json_values),
        "status": draw(st.sampled_from(["active", "paid", "expired", "PAID"])),
        "currency_type": currency_type,
        "asset": draw(st.sampled_from(["USDT", "TON", ""]) | st.text(max_size=20)),
        "fiat": draw(st.sampled_from(["RUB", "USD"]) | st.text(max_size=20)),
        "amount": draw(
            st.sampled_from(["300", "300.00", "0", "-1", "NaN", "Infinity", "1e999999", "1e-9"])
            | st.decimals(allow_nan=True).map(str)
            | st.text(max_size=70)
        ),
        "payload": draw(st.none() | st.text(max_size=40) | json_values),
        "paid_at": draw(timestamps),
    }
    return {
        "update_id": draw(st.integers(min_value=-5, max_value=2**64) | json_values),
        "update_type": draw(st.sampled_from(["invoice_paid", ""]) | st.text(max_size=70)),
        "request_date": draw(timestamps),
        "payload": invoice if draw(st.integers(0, 9)) else draw(json_values),
    }


@st.composite
def remnawave_bodies(draw: st.DrawFn) -> dict[str, Any]:
    user: dict[str, Any] = {
        "uuid": draw(st.uuids().map(str) | json_values),
        "id": draw(st.integers(min_value=-3, max_value=2**40) | json_values),
        "username": draw(st.text(max_size=30) | json_values),
        "status": draw(st.sampled_from(["ACTIVE", "DISABLED", "LIMITED", "EXPIRED"]) | json_values),
        "expireAt": draw(timestamps),
        "trafficLimitBytes": draw(
            st.integers(min_value=-(2**40), max_value=2**70)
            | st.sampled_from(["123", "١٢٣", "9" * 5000, "-1"])
            | json_values
        ),
        "userTraffic": draw(
            st.fixed_dictionaries(
                {
                    "usedTrafficBytes": st.integers() | st.sampled_from(["5", "٥"]) | json_values,
                    "onlineAt": timestamps,
                }
            )
            | json_values
        ),
        "subscriptionUrl": draw(st.text(max_size=40) | json_values),
    }
    name = draw(st.sampled_from([k.value for k in PanelEventKind]) | st.text(max_size=20))
    scope = draw(st.sampled_from(["user", "node", "service"]))
    return {
        "scope": draw(st.just(scope) | st.text(max_size=8)),
        "event": draw(st.just(f"{scope}.{name}") | st.text(max_size=100)),
        "timestamp": draw(timestamps),
        "data": user if draw(st.integers(0, 9)) else draw(json_values),
        "meta": draw(json_values),
    }


def raw_bodies(structured: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """JSON encodings of ``structured`` and of anything, plus plain garbage bytes."""
    return st.one_of(
        structured.map(lambda b: json.dumps(b).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"",
                b"null",
                b"[" * 100_000,
                b'{"a":' * 50_000,
                b"1" * 5000,
                b'{"update_id": 1' + b" " * (1024 * 1024),
                b"\xff\xfe{}",
            ]
        ),
    )


# -- YooKassa --------------------------------------------------------------------------
def _check_yookassa(raw: bytes | dict[str, Any]) -> None:
    try:
        notice = parse_yookassa_notice(raw)
    except MalformedWebhook:
        return
    assert _ID.fullmatch(notice.object_id)
    if notice.is_payment_event:
        assert notice.payment_id == notice.object_id
    elif notice.is_refund_event:
        assert notice.payment_id is not None
        assert _ID.fullmatch(notice.payment_id)
    else:
        assert notice.payment_id is None


@FAST
@given(raw=raw_bodies(yookassa_bodies()))
def test_yookassa_parser_returns_a_valid_notice_or_refuses(raw: bytes) -> None:
    _check_yookassa(raw)


@FAST
@given(body=yookassa_bodies(), data=st.data())
def test_yookassa_parser_survives_mutated_objects(
    body: dict[str, Any], data: st.DataObject
) -> None:
    _check_yookassa(_mutate(body, data))


@FAST
@given(payment_id=st.from_regex(r"\A[0-9A-Za-z_-]{1,64}\Z"))
def test_a_well_formed_yookassa_notice_names_its_payment(payment_id: str) -> None:
    body = {"type": "notification", "event": "payment.succeeded", "object": {"id": payment_id}}
    notice = parse_yookassa_notice(json.dumps(body).encode())
    assert notice.payment_id == payment_id


# -- Crypto Pay ------------------------------------------------------------------------
def _check_cryptopay(raw: bytes | dict[str, Any]) -> None:
    try:
        notice = parse_cryptopay_notice(raw)
    except MalformedWebhook:
        return
    assert 0 <= notice.invoice_id < 2**63
    assert 0 <= notice.update_id < 2**63
    assert notice.amount.is_finite()
    assert notice.amount > 0
    assert notice.status in {"active", "paid", "expired"}
    assert notice.payload is None or isinstance(notice.payload, str)
    for moment in (notice.paid_at, notice.request_date):
        assert moment is None or moment.tzinfo is not None


@FAST
@given(raw=raw_bodies(cryptopay_bodies()))
def test_cryptopay_parser_returns_a_valid_notice_or_refuses(raw: bytes) -> None:
    _check_cryptopay(raw)


@FAST
@given(body=cryptopay_bodies(), data=st.data())
def test_cryptopay_parser_survives_mutated_invoices(
    body: dict[str, Any], data: st.DataObject
) -> None:
    if isinstance(body["payload"], dict):
        body["payload"] = _mutate(body["payload"], data)
    _check_cryptopay(json.dumps(body).encode())


@pytest.mark.parametrize("key", ["status", "currency_type"])
def test_cryptopay_parser_refuses_a_list_status(key: str) -> None:
    invoice = {"invoice_id": 1, "status": "paid", "asset": "USDT", "amount": "1", key: ["paid"]}
    body = {"update_id": 1, "update_type": "invoice_paid", "payload": invoice}
    with contextlib.suppress(MalformedWebhook):
        parse_cryptopay_notice(json.dumps(body).encode())


tokens = st.text(min_size=1, max_size=60)
headers = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.binary(max_size=80),
    st.from_regex(r"\A[0-9a-fA-F]{64}\Z"),
)


@FAST
@given(token=tokens, body=st.binary(max_size=500), header=headers)
def test_cryptopay_signature_accepts_only_the_genuine_one(
    token: str, body: bytes, header: str | bytes | None
) -> None:
    genuine = cryptopay_signature(token, body)
    accepted = verify_cryptopay_signature(token, body, header)
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    assert accepted == (header is not None and header.strip().lower() == genuine)


@FAST
@given(token=tokens, body=st.binary(min_size=1, max_size=500), flip=st.integers(0, 10**6))
def test_cryptopay_signature_of_a_tampered_body_or_other_token_is_refused(
    token: str, body: bytes, flip: int
) -> None:
    signature = cryptopay_signature(token, body)
    assert verify_cryptopay_signature(token, body, signature)
    assert verify_cryptopay_signature(token, body, signature.upper())
    i = flip % len(body)
    tampered = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
    assert not verify_cryptopay_signature(token, tampered, signature)
    assert not verify_cryptopay_signature(token + "x", body, signature)
    assert not verify_cryptopay_signature("", body, signature)
    # the naive scheme (key = token, not SHA256(token)) is not accepted; HMAC itself
    # hashes keys longer than the block, where both schemes coincide
    if len(token.encode()) <= 64:
        naive = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
        assert not verify_cryptopay_signature(token, body, naive)


# -- YooKassa source addresses ---------------------------------------------------------
addresses = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(["185.71.76.1", "77.75.156.11", "2a02:5180::1", "::ffff:185.71.76.1"]),
    st.sampled_from(["185.71.76.1:443", "[2a02:5180::1]:443", "fe80::1%eth0", "[", "", " "]),
    st.text(max_size=40),
)
trusted = st.lists(st.sampled_from(["10.0.0.0/8", "127.0.0.1", "::1", "172.16.0.0/12"]), max_size=3)


@FAST
@given(
    peer=st.none() | addresses,
    forwarded=st.none() | st.lists(addresses, max_size=5).map(", ".join) | st.text(max_size=80),
    proxies=trusted,
)
def test_client_ip_never_raises_and_trusts_headers_only_from_proxies(
    peer: str | None, forwarded: str | None, proxies: list[str]
) -> None:
    ip = client_ip(peer, forwarded, proxies)
    assert ip is None or isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    peer_ip = client_ip(peer, None, [])
    in_proxies = peer_ip is not None and any(
        peer_ip.version == ipaddress.ip_network(p).version and peer_ip in ipaddress.ip_network(p)
        for p in proxies
    )
    if not in_proxies:
        assert ip == peer_ip  # a header from an untrusted peer changes nothing
    accepted = is_yookassa_ip(ip)
    assert accepted == (
        ip is not None and any(ip.version == n.version and ip in n for n in YOOKASSA_NETWORKS)
    )


@FAST
@given(spoofed=st.lists(st.sampled_from(["185.71.76.1", "77.75.156.11"]), min_size=1, max_size=3))
def test_a_spoofed_forwarded_for_cannot_smuggle_an_allow_listed_address(
    spoofed: list[str],
) -> None:
    # an attacker at 203.0.113.7 goes through our trusted proxy, which appends its address
    header = ", ".join([*spoofed, "203.0.113.7"])
    assert not is_yookassa_ip(client_ip("10.0.0.2", header, ["10.0.0.0/8"]))
    assert not is_yookassa_ip(client_ip("203.0.113.7", ", ".join(spoofed), ["10.0.0.0/8"]))


# -- Remnawave -------------------------------------------------------------------------
def _check_remnawave(raw: bytes, dialect: str) -> None:
    try:
        command = parse_remnawave_event(raw, panel_id=PanelId("panel-1"), dialect=dialect)
    except MalformedWebhook:
        return
    if command is None:
        return
    assert command.username
    assert isinstance(command.external_id, str)
    if command.kind is PanelEventKind.DELETED:
        assert command.state is None
    else:
        assert command.state is not None
        assert command.state.used_traffic_bytes >= 0
        assert command.state.traffic_limit_bytes >= 0


def _decoded(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except (ValueError, RecursionError):
        return ""


@FAST
@given(raw=raw_bodies(remnawave_bodies()), dialect=st.sampled_from(["2.x", "3.x"]))
def test_remnawave_parser_returns_a_command_or_refuses(raw: bytes, dialect: str) -> None:
    _check_remnawave(raw, dialect)


@pytest.mark.parametrize("digits", ["²", "³", "①", "9" * 5000])
def test_remnawave_parser_refuses_non_decimal_digit_strings(digits: str) -> None:
    raw = json.dumps(
        {
            "event": "user.modified",
            "data": {"uuid": "u", "username": "a", "trafficLimitBytes": digits},
        }
    ).encode()
    with contextlib.suppress(MalformedWebhook):
        parse_remnawave_event(raw, panel_id=PanelId("p"), dialect="2.x")


ascii_signatures = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80
) | st.from_regex(r"\A[0-9a-f]{64}\Z")


@FAST
@given(secret=tokens, body=st.binary(max_size=500), signature=ascii_signatures)
def test_remnawave_signature_accepts_only_the_genuine_one(
    secret: str, body: bytes, signature: str
) -> None:
    genuine = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert verify_webhook_signature(secret, body, genuine)
    assert verify_webhook_signature(secret, body, signature) == (
        signature.strip().lower() == genuine
    )
    assert not verify_webhook_signature(secret + "x", body, genuine)


def test_remnawave_signature_refuses_a_non_ascii_header() -> None:
    assert not verify_webhook_signature("secret", b"{}", "é" * 64)


# -- Telegram secret token -------------------------------------------------------------
def _handler(secret: str) -> TelegramWebhook:
    return TelegramWebhook(Dispatcher(), bot=None, secret=secret, handle_in_background=False)


@FAST
@given(
    secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=64),
    supplied=st.text(max_size=80),
)
def test_telegram_secret_token_accepts_only_the_configured_one(secret: str, supplied: str) -> None:
    handler = _handler(secret)
    assert handler.verify_secret(secret, None) == bool(secret)  # type: ignore[arg-type]
    expected = bool(secret) and supplied.encode("utf-8", "replace") == secret.encode()
    assert handler.verify_secret(supplied, None) == expected  # type: ignore[arg-type]


# -- long variants ---------------------------------------------------------------------
@pytest.mark.slow
@SLOW
@given(
    yk=raw_bodies(yookassa_bodies()),
    cp=raw_bodies(cryptopay_bodies()),
    rw=raw_bodies(remnawave_bodies()),
    dialect=st.sampled_from(["2.x", "3.x"]),
)
def test_every_payment_and_panel_parser_thousands_of_inputs(
    yk: bytes, cp: bytes, rw: bytes, dialect: str
) -> None:
    _check_yookassa(yk)
    _check_cryptopay(cp)
    _check_remnawave(rw, dialect)


@pytest.mark.slow
@SLOW
@given(token=tokens, body=st.binary(max_size=2000), header=headers)
def test_signatures_thousands_of_inputs(
    token: str, body: bytes, header: str | bytes | None
) -> None:
    test_cryptopay_signature_accepts_only_the_genuine_one.hypothesis.inner_test(  # type: ignore[attr-defined]
        token, body, header
    )
