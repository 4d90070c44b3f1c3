"""Webhook authenticity helpers and parsers: pure checks, fuzzing, and deliveries from
the emulators to a small receiving app over real HTTP."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.adapters.payments.webhooks import (
    YOOKASSA_NETWORKS,
    CryptoPayNotice,
    MalformedWebhook,
    YooKassaNotice,
    client_ip,
    cryptopay_signature,
    is_yookassa_ip,
    parse_cryptopay_notice,
    parse_yookassa_notice,
    verify_cryptopay_signature,
)
from vpnsales.application.ports.payments import ProviderStatus
from vpnsales.testing.emulators.cryptopay import cryptopay_signature as emulator_signature

pytestmark = pytest.mark.integration

TOKEN = "12345:AAemulatorCryptoPayToken"
LOOPBACK = ["127.0.0.1/32", "::1/128"]


# -- client_ip / trusted proxies -----------------------------------------------------------
@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        # direct connection from YooKassa, no proxy
        ("185.71.76.1", None, LOOPBACK, "185.71.76.1"),
        # spoofed header from an untrusted peer is ignored
        ("6.6.6.6", "185.71.76.1", LOOPBACK, "6.6.6.6"),
        # trusted proxy in front: the header names the client
        ("127.0.0.1", "185.71.76.1", LOOPBACK, "185.71.76.1"),
        # the client prepended a forged allow-listed entry: the proxy-appended one wins
        ("127.0.0.1", "185.71.76.1, 6.6.6.6", LOOPBACK, "6.6.6.6"),
        # two trusted hops are skipped from the right
        ("127.0.0.1", "1.1.1.1, 185.71.76.1, 10.0.0.7", [*LOOPBACK, "10.0.0.0/8"], "185.71.76.1"),
        # trusted proxy without the header: the proxy itself
        ("127.0.0.1", None, LOOPBACK, "127.0.0.1"),
        ("127.0.0.1", " , ", LOOPBACK, "127.0.0.1"),
        # all hops trusted: the leftmost
        ("127.0.0.1", "10.0.0.1, 10.0.0.2", [*LOOPBACK, "10.0.0.0/8"], "10.0.0.1"),
        # ports and IPv6 forms
        ("127.0.0.1", "185.71.76.1:4431", LOOPBACK, "185.71.76.1"),
        ("::1", "[2a02:5180::1]:443", LOOPBACK, "2a02:5180::1"),
        ("::ffff:127.0.0.1", "::ffff:185.71.77.3", LOOPBACK, "185.71.77.3"),
    ],
)
def test_client_ip(peer, xff, trusted, expected):
    assert client_ip(peer, xff, trusted) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    ("peer", "xff"),
    [
        (None, "185.71.76.1"),
        ("not-an-ip", None),
        ("127.0.0.1", "185.71.76.1, garbage"),
        ("127.0.0.1", "unknown"),
    ],
)
def test_client_ip_fails_closed(peer, xff):
    assert client_ip(peer, xff, LOOPBACK) is None


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("185.71.76.0", True),
        ("185.71.76.31", True),
        ("185.71.76.32", False),
        ("185.71.77.1", True),
        ("77.75.153.127", True),
        ("77.75.153.128", False),
        ("77.75.154.128", True),
        ("77.75.154.127", False),
        ("77.75.156.11", True),
        ("77.75.156.12", False),
        ("77.75.156.35", True),
        ("2a02:5180::1", True),
        ("2a02:5181::1", False),
        ("::ffff:185.71.76.5", True),
        ("127.0.0.1", False),
        ("garbage", False),
        (None, False),
    ],
)
def test_is_yookassa_ip(ip, expected):
    assert is_yookassa_ip(ip) is expected


def test_published_networks_are_listed():
    assert {str(n) for n in YOOKASSA_NETWORKS} == {
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.154.128/25",
        "77.75.156.11/32",
        "77.75.156.35/32",
        "2a02:5180::/32",
    }


@settings(max_examples=200, deadline=None)
@given(
    peer=st.one_of(st.none(), st.text(max_size=40), st.ip_addresses().map(str)),
    xff=st.one_of(
        st.none(),
        st.text(max_size=80),
        st.lists(st.ip_addresses().map(str), max_size=5).map(", ".join),
    ),
)
def test_client_ip_never_raises(peer, xff):
    result = client_ip(peer, xff, LOOPBACK)
    assert result is None or isinstance(result, ipaddress.IPv4Address | ipaddress.IPv6Address)
    is_yookassa_ip(result)


# -- Crypto Pay signature ------------------------------------------------------------------
BODY = b'{"update_id":1,"update_type":"invoice_paid"}'


def test_signature_matches_the_emulators_independent_implementation():
    assert cryptopay_signature(TOKEN, BODY) == emulator_signature(TOKEN, BODY)


@pytest.mark.parametrize(
    ("token", "body", "header", "expected"),
    [
        (TOKEN, BODY, emulator_signature(TOKEN, BODY), True),
        (TOKEN, BODY, emulator_signature(TOKEN, BODY).upper(), True),
        (TOKEN, BODY + b" ", emulator_signature(TOKEN, BODY), False),
        (TOKEN, BODY, emulator_signature("other:token", BODY), False),
        (TOKEN, BODY, None, False),
        (TOKEN, BODY, "", False),
        (TOKEN, BODY, "zz", False),
        (TOKEN, BODY, "é" * 64, False),
        ("", BODY, emulator_signature("", BODY), False),
    ],
)
def test_verify_cryptopay_signature(token, body, header, expected):
    assert verify_cryptopay_signature(token, body, header) is expected


@settings(deadline=None)
@given(body=st.binary(max_size=300), header=st.one_of(st.none(), st.text(max_size=70)))
def test_verify_cryptopay_signature_never_raises(body, header):
    assert verify_cryptopay_signature(TOKEN, body, header) in {True, False}


# -- parsers -------------------------------------------------------------------------------
def test_parse_yookassa_payment_and_refund_notices():
    payment = parse_yookassa_notice(
        b'{"type":"notification","event":"payment.succeeded","object":{"id":"2d8b-000f","x":1}}'
    )
    refund = parse_yookassa_notice(
        {
            "type": "notification",
            "event": "refund.succeeded",
            "object": {"id": "r-1", "payment_id": "p-1"},
        }
    )
    assert payment == YooKassaNotice("payment.succeeded", "2d8b-000f", "2d8b-000f")
    assert payment.is_payment_event
    assert refund == YooKassaNotice("refund.succeeded", "r-1", "p-1")
    assert refund.is_refund_event


def test_parse_cryptopay_notice():
    body = {
        "update_id": 7,
        "update_type": "invoice_paid",
        "request_date": "2026-11-22T12:00:00.000Z",
        "payload": {
            "invoice_id": 1000,
            "status": "paid",
            "currency_type": "fiat",
            "fiat": "RUB",
            "amount": "199",
            "payload": "abc",
            "paid_at": "2026-11-22T11:59:00.000Z",
        },
    }
    notice = parse_cryptopay_notice(json.dumps(body).encode())
    assert isinstance(notice, CryptoPayNotice)
    assert (notice.update_id, notice.invoice_id, notice.status) == (7, 1000, "paid")
    assert (notice.amount, notice.currency, notice.payload) == (Decimal(199), "RUB", "abc")
    assert notice.provider_payment_id == "1000"
    assert notice.paid_at is not None
    assert notice.paid_at.tzinfo is not None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"[]",
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"type":"notification"}',
        b'{"type":"notification","event":"payment.succeeded","object":{"id":5}}',
        b'{"type":"notification","event":"payment.succeeded","object":{"id":"../x"}}',
        b'{"type":"notification","event":"refund.succeeded","object":{"id":"r"}}',
        b'{"type":"notification","event":"PAYMENT","object":{"id":"p"}}',
        b'{"type":"other","event":"payment.succeeded","object":{"id":"p"}}',
    ],
)
def test_yookassa_parser_rejects_garbage(raw):
    with pytest.raises(MalformedWebhook):
        parse_yookassa_notice(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"{}",
        b'{"update_id":true,"update_type":"invoice_paid","payload":{}}',
        b'{"update_id":1,"update_type":"invoice_paid","payload":[]}',
        b'{"update_id":1,"update_type":"invoice_paid","payload":{"invoice_id":1,"status":"x"}}',
        b'{"update_id":1,"update_type":"invoice_paid","payload":{"invoice_id":1,'
        b'"status":"paid","currency_type":"fiat","fiat":"RUB","amount":"NaN"}}',
        b'{"update_id":1,"update_type":"invoice_paid","payload":{"invoice_id":1,'
        b'"status":"paid","currency_type":"fiat","fiat":"RUB","amount":"sNaN"}}',
        b'{"update_id":1,"update_type":"invoice_paid","payload":{"invoice_id":1,'
        b'"status":"paid","asset":"TON","amount":"1","paid_at":"yesterday"}}',
        b'{"update_id":1e400}',
        b"1" * 5000,
    ],
)
def test_cryptopay_parser_rejects_garbage(raw):
    with pytest.raises(MalformedWebhook):
        parse_cryptopay_notice(raw)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["notification", "payment.succeeded", "refund.succeeded", "paid", "fiat"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "event",
                    "object",
                    "id",
                    "payment_id",
                    "update_id",
                    "update_type",
                    "payload",
                    "invoice_id",
                    "status",
                    "currency_type",
                    "fiat",
                    "asset",
                    "amount",
                    "paid_at",
                    "request_date",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)


def _only_malformed(parse, raw):
    with contextlib.suppress(MalformedWebhook):
        parse(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_parsers_survive_random_bytes(raw):
    _only_malformed(parse_yookassa_notice, raw)
    _only_malformed(parse_cryptopay_notice, raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_parsers_survive_random_json(value):
    raw = json.dumps(value).encode()
    _only_malformed(parse_yookassa_notice, raw)
    _only_malformed(parse_cryptopay_notice, raw)
    if isinstance(value, dict):
        _only_malformed(parse_yookassa_notice, value)
        _only_malformed(parse_cryptopay_notice, value)


@settings(max_examples=150, deadline=None)
@given(
    obj=st.fixed_dictionaries(
        {"id": json_values, "payment_id": json_values},
    ),
    event=json_values,
)
def test_yookassa_parser_survives_near_valid_bodies(obj, event):
    body = {"type": "notification", "event": event, "object": obj}
    _only_malformed(parse_yookassa_notice, json.dumps(body).encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    invoice=st.fixed_dictionaries(
        {
            "invoice_id": json_values,
            "status": st.sampled_from(["active", "paid", "expired"]) | json_values,
            "currency_type": st.sampled_from(["fiat", "crypto"]) | json_values,
            "fiat": json_values,
            "asset": json_values,
            "amount": st.text(max_size=12) | json_values,
            "paid_at": st.text(max_size=30) | json_values,
            "payload": json_values,
        }
    ),
    update_id=st.integers() | json_values,
)
def test_cryptopay_parser_survives_near_valid_bodies(invoice, update_id):
    body = {"update_id": update_id, "update_type": "invoice_paid", "payload": invoice}
    _only_malformed(parse_cryptopay_notice, json.dumps(body).encode())


# -- deliveries to a receiving app over real HTTP -----------------------------------------
@dataclass
class Receiver:
    """A minimal web entrypoint: the authenticity rules, then a re-fetch."""

    yookassa_gateway: object
    trusted_proxies: list[str]
    token: str
    credited: list[str] = field(default_factory=list)
    seen: list[object] = field(default_factory=list)
    base_url: str = ""

    async def yookassa(self, request: web.Request) -> web.Response:
        ip = client_ip(request.remote, request.headers.get("X-Forwarded-For"), self.trusted_proxies)
        if not is_yookassa_ip(ip):
            return web.Response(status=403)
        try:
            notice = parse_yookassa_notice(await request.read())
        except MalformedWebhook:
            return web.Response(status=400)
        if notice.payment_id is None:
            return web.Response(status=200)
        payment = await self.yookassa_gateway.fetch(notice.payment_id)  # only this is believed
        self.seen.append(payment)
        if payment.status is ProviderStatus.SUCCEEDED:
            self.credited.append(payment.provider_payment_id)
        return web.Response(status=200)

    async def cryptopay(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify_cryptopay_signature(
            self.token, raw, request.headers.get("crypto-pay-api-signature")
        ):
            return web.Response(status=401)
        try:
            notice = parse_cryptopay_notice(raw)
        except MalformedWebhook:
            return web.Response(status=400)
        self.seen.append(notice)
        if notice.status == "paid":
            self.credited.append(notice.provider_payment_id)
        return web.Response(status=200)


@pytest.fixture
async def receiver(yookassa_gateway, cryptopay) -> AsyncIterator[Receiver]:
    app_state = Receiver(yookassa_gateway, trusted_proxies=LOOPBACK, token=cryptopay.token)
    app = web.Application()
    app.router.add_post("/webhooks/yookassa", app_state.yookassa)
    app.router.add_post("/webhooks/cryptopay", app_state.cryptopay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    app_state.base_url = f"http://127.0.0.1:{port}"
    yield app_state
    await runner.cleanup()


async def test_yookassa_notification_through_a_trusted_proxy_is_refetched(
    yookassa, yookassa_gateway, receiver, checkout
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)

    delivery = await yookassa.deliver_webhook(
        f"{receiver.base_url}/webhooks/yookassa", "payment.succeeded", result.provider_payment_id
    )

    assert delivery.status == 200
    assert receiver.credited == [result.provider_payment_id]
    assert yookassa.calls_to(f"/v3/payments/{result.provider_payment_id}", "GET")


async def test_yookassa_notification_from_outside_the_ranges_is_refused(
    yookassa, yookassa_gateway, receiver, checkout
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)
    url = f"{receiver.base_url}/webhooks/yookassa"

    outsider = await yookassa.deliver_webhook(
        url, "payment.succeeded", result.provider_payment_id, source_ip="8.8.8.8"
    )
    spoofed = await yookassa.deliver_webhook(
        url,
        "payment.succeeded",
        result.provider_payment_id,
        forwarded_for="185.71.76.1, 8.8.8.8",
    )
    no_header = await yookassa.deliver_webhook(
        url, "payment.succeeded", result.provider_payment_id, source_ip=None
    )

    assert (outsider.status, spoofed.status, no_header.status) == (403, 403, 403)
    assert receiver.credited == []


async def test_forged_yookassa_body_from_an_allowed_ip_credits_nothing(
    yookassa, yookassa_gateway, receiver, checkout
):
    result = await yookassa_gateway.create(checkout("199"))  # never paid
    url = f"{receiver.base_url}/webhooks/yookassa"

    delivery = await yookassa.deliver_webhook(
        url, "payment.succeeded", result.provider_payment_id
    )  # the body claims success, the re-fetch says pending
    garbage = await yookassa.deliver_webhook(
        url, "payment.succeeded", result.provider_payment_id, body_override=b"{not json"
    )

    assert delivery.status == 200
    assert receiver.credited == []
    assert receiver.seen[0].status is ProviderStatus.PENDING
    assert garbage.status == 400


async def test_yookassa_refund_notification_names_the_payment(
    yookassa, yookassa_gateway, receiver, checkout
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)
    yookassa.refund(result.provider_payment_id)

    delivery = await yookassa.deliver_webhook(
        f"{receiver.base_url}/webhooks/yookassa", "refund.succeeded", result.provider_payment_id
    )

    assert delivery.status == 200
    assert receiver.seen[-1].status is ProviderStatus.REFUNDED


async def test_signed_cryptopay_webhook_is_accepted(
    cryptopay, cryptopay_gateway, receiver, checkout
):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.pay(result.provider_payment_id)

    delivery = await cryptopay.deliver_webhook(
        f"{receiver.base_url}/webhooks/cryptopay", result.provider_payment_id
    )

    assert delivery.status == 200
    assert receiver.credited == [result.provider_payment_id]
    notice = receiver.seen[0]
    assert notice.update_type == "invoice_paid"
    assert notice.amount == Decimal(199)


@pytest.mark.parametrize(
    "kwargs", [{"tamper": True}, {"sign_with": "other:token"}, {"unsigned": True}]
)
async def test_forged_cryptopay_webhooks_are_refused(
    cryptopay, cryptopay_gateway, receiver, checkout, kwargs
):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.pay(result.provider_payment_id)

    delivery = await cryptopay.deliver_webhook(
        f"{receiver.base_url}/webhooks/cryptopay", result.provider_payment_id, **kwargs
    )

    assert delivery.status == 401
    assert receiver.credited == []
