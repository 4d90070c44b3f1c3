"""Forged, replayed, mismatched and malformed deliveries: each changes nothing (and the
ones that claim money are answered so that the provider does not retry forever)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from vpnsales.adapters.payments.webhooks import cryptopay_signature
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.payments import CheckoutRequest
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentStatus

pytestmark = pytest.mark.integration

YOOKASSA = "/webhooks/yookassa"
CRYPTOPAY = "/webhooks/cryptopay"


@pytest.fixture
async def pending(stack):
    """A customer with a pending YooKassa payment for a 199 RUB tariff."""
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA)
    return customer, tariff, started


# -- YooKassa: source address -------------------------------------------------------------
async def test_yookassa_notification_from_outside_the_ranges_changes_nothing(stack, pending):
    _, _, started = pending
    stack.yookassa.succeed(started.provider_payment_id)
    pid = started.provider_payment_id

    async with stack.unchanged():
        outsider = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", pid, source_ip="8.8.8.8"
        )
        no_header = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", pid, source_ip=None
        )

    assert (outsider.status, no_header.status) == (403, 403)
    assert not stack.yookassa.calls_to(f"/v3/payments/{pid}", "GET"), "refused before any fetch"
    assert stack.refusals("yookassa", "source_ip") == 2


async def test_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(stack, pending):
    _, _, started = pending
    stack.yookassa.succeed(started.provider_payment_id)
    pid = started.provider_payment_id
    # This app trusts no proxy on loopback: the emulator's X-Forwarded-For is a client's lie.
    untrusting = await stack.serve(trusted_proxies=())

    async with stack.unchanged():
        direct = await stack.yookassa.deliver_webhook(
            f"{untrusting}{YOOKASSA}", "payment.succeeded", pid, source_ip="185.71.76.1"
        )
        # Behind the trusted proxy, an allow-listed address prepended by the client loses
        # to the one the proxy appended.
        prepended = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", pid, forwarded_for="185.71.76.1, 6.6.6.6"
        )

    assert (direct.status, prepended.status) == (403, 403)
    assert (await stack.payment(started.payment_id)).status is PaymentStatus.PENDING


# -- YooKassa: only the fetched state is believed ------------------------------------------
async def test_body_claiming_success_while_the_api_says_pending_changes_nothing(stack, pending):
    _, _, started = pending  # never paid

    async with stack.unchanged():
        delivery = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA),
            "payment.succeeded",
            started.provider_payment_id,
            body_override={
                "type": "notification",
                "event": "payment.succeeded",
                "object": {
                    "id": started.provider_payment_id,
                    "status": "succeeded",
                    "paid": True,
                    "amount": {"value": "199.00", "currency": "RUB"},
                },
            },
        )

    assert delivery.status == 200
    assert stack.yookassa.calls_to(f"/v3/payments/{started.provider_payment_id}", "GET")
    assert (await stack.payment(started.payment_id)).status is PaymentStatus.PENDING
    assert stack.refusals("yookassa", "claim_not_confirmed") == 1


async def test_amount_mismatch_flags_the_payment_alerts_admins_and_credits_nothing(stack, pending):
    _, _, started = pending
    stack.tg.add_user(777)  # the admin
    stack.yookassa.succeed(started.provider_payment_id, amount="1.00")

    delivery = await stack.yookassa.deliver_webhook(
        stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
    )

    assert delivery.status == 200
    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.PENDING
    assert payment.flagged
    assert "mismatch" in payment.flagged
    assert payment.subscription_id is None or not await stack.rows("subscriptions")
    assert await stack.outbox(OutboxKind.SYNC_ACCESS.value) == []
    assert len(await stack.outbox(OutboxKind.ADMIN_ALERT.value)) == 1
    assert stack.refusals("yookassa", "amount_mismatch") == 1

    await stack.drain()
    alert = await stack.tg.wait_for_message(777, timeout=5)
    assert str(started.payment_id) in (alert.text or "")
    assert stack.panel.users == {}


async def test_replays_of_a_processed_event_change_nothing(stack, pending):
    _, _, started = pending
    stack.yookassa.succeed(started.provider_payment_id)
    first = await stack.yookassa.deliver_webhook(
        stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
    )
    assert first.status == 200
    await stack.drain()
    kicks = stack.kicker.kicks

    async with stack.unchanged():
        replays = [
            await stack.yookassa.deliver_webhook(
                stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
            )
            for _ in range(3)
        ]

    assert [r.status for r in replays] == [200, 200, 200]
    assert stack.kicker.kicks == kicks
    assert len(stack.panel.users) == 1


async def test_a_cryptopay_replay_of_the_same_signed_bytes_changes_nothing(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    stack.cryptopay.pay(started.provider_payment_id)
    first = await stack.cryptopay.deliver_webhook(stack.url(CRYPTOPAY), started.provider_payment_id)
    assert first.status == 200
    signature = cryptopay_signature(stack.cryptopay.token, first.body)

    async with stack.unchanged():
        status, _ = await stack.post(CRYPTOPAY, first.body, {"crypto-pay-api-signature": signature})

    assert status == 200
    assert (await stack.payment(started.payment_id)).status is PaymentStatus.SUCCEEDED


# -- someone else's payment, unknown payments ---------------------------------------------
async def test_a_yookassa_payment_naming_another_customers_payment_changes_nothing(stack, pending):
    _, _, victim = pending
    # A different YooKassa payment whose metadata points at the victim's payment id.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{stack.yookassa.base_url}/v3/payments",
            auth=(stack.yookassa.shop_id, stack.yookassa.secret_key),
            headers={"Idempotence-Key": uuid.uuid4().hex},
            json={
                "amount": {"value": "199.00", "currency": "RUB"},
                "capture": True,
                "confirmation": {"type": "redirect", "return_url": "https://t.me/x"},
                "metadata": {"payment_id": str(victim.payment_id)},
            },
        )
    other = response.json()["id"]
    stack.yookassa.succeed(other)

    async with stack.unchanged():
        delivery = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", other
        )

    assert delivery.status == 200
    assert stack.refusals("yookassa", "unknown_payment") == 1


async def test_a_signed_invoice_naming_another_customers_payment_changes_nothing(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    victim = await stack.add_customer()
    started = await stack.checkout(victim, tariff, PaymentProvider.CRYPTOPAY)
    gateways = await stack.container.get(
        __import__("vpnsales.entrypoints.di", fromlist=["Gateways"]).Gateways
    )
    # Another invoice (someone else's, paid) carrying the victim's payment id.
    other = await gateways[PaymentProvider.CRYPTOPAY].create(
        CheckoutRequest(
            payment_id=started.payment_id,
            amount=Money.of(199, Currency.RUB),
            description="someone else's",
            telegram_id=1,
        )
    )
    assert other.provider_payment_id != started.provider_payment_id
    stack.cryptopay.pay(other.provider_payment_id)

    async with stack.unchanged():
        delivery = await stack.cryptopay.deliver_webhook(
            stack.url(CRYPTOPAY), other.provider_payment_id
        )

    assert delivery.status == 200
    assert stack.refusals("cryptopay", "unknown_payment") == 1


async def test_unknown_payment_ids_are_acknowledged_and_change_nothing(stack, pending):
    # Known to YooKassa (another integration on the shop) but not to us …
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{stack.yookassa.base_url}/v3/payments",
            auth=(stack.yookassa.shop_id, stack.yookassa.secret_key),
            headers={"Idempotence-Key": uuid.uuid4().hex},
            json={
                "amount": {"value": "50.00", "currency": "RUB"},
                "capture": True,
                "confirmation": {"type": "redirect", "return_url": "https://t.me/x"},
            },
        )
    foreign = response.json()["id"]
    stack.yookassa.succeed(foreign)
    forged_id = "2d8b6f4e-000f-5000-9000-1b2c3d4e5f60"

    async with stack.unchanged():
        theirs = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", foreign
        )
        # … and unknown to YooKassa itself.
        nobodys = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA),
            "payment.succeeded",
            forged_id,
            body_override={
                "type": "notification",
                "event": "payment.succeeded",
                "object": {"id": forged_id, "status": "succeeded"},
            },
        )

    assert (theirs.status, nobodys.status) == (200, 200)
    assert stack.refusals("yookassa", "unknown_payment") == 1
    assert stack.refusals("yookassa", "unknown_at_provider") == 1


# -- Crypto Pay signatures -----------------------------------------------------------------
@pytest.mark.parametrize(
    "forgery", [{"tamper": True}, {"sign_with": "666:forged-token"}, {"unsigned": True}]
)
async def test_bad_cryptopay_signatures_change_nothing(stack, forgery):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    stack.cryptopay.pay(started.provider_payment_id)

    async with stack.unchanged():
        delivery = await stack.cryptopay.deliver_webhook(
            stack.url(CRYPTOPAY), started.provider_payment_id, **forgery
        )

    assert delivery.status == 401
    assert not stack.cryptopay.calls_to("/api/getInvoices"), "refused before any fetch"
    assert stack.refusals("cryptopay", "signature") == 1


# -- malformed, oversized ------------------------------------------------------------------
async def test_malformed_bodies_are_400_and_change_nothing(stack, pending):
    token = stack.cryptopay.token
    garbage = b'{"update_id": "x", "payload": []}'
    telegram_headers = {
        "X-Telegram-Bot-Api-Secret-Token": stack.settings.telegram.webhook_secret.get()
    }
    remnawave_body = b"[1, 2, 3]"

    async with stack.unchanged():
        kassa = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", "x", body_override=b"{not json"
        )
        crypto = await stack.post(
            CRYPTOPAY, garbage, {"crypto-pay-api-signature": cryptopay_signature(token, garbage)}
        )
        telegram = await stack.post("/webhooks/telegram", b"[]", telegram_headers)
        panel = await stack.post(
            "/webhooks/remnawave",
            remnawave_body,
            {"X-Remnawave-Signature": stack.panel.sign_webhook(remnawave_body)},
        )

    assert (kassa.status, crypto[0], telegram[0], panel[0]) == (400, 400, 400, 400)


async def test_bodies_over_one_megabyte_are_413(stack, pending):
    big = b'{"pad":"' + b"x" * (1024 * 1024) + b'"}'
    async with stack.unchanged():
        kassa = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", "x", body_override=big
        )
        crypto = await stack.post(
            CRYPTOPAY, big, {"crypto-pay-api-signature": cryptopay_signature("t", big)}
        )
    assert (kassa.status, crypto[0]) == (413, 413)
    assert stack.refusals("yookassa", "too_large") == 1


# -- provider down: ask for redelivery -----------------------------------------------------
async def test_yookassa_unreachable_answers_503_then_the_redelivery_credits_once(stack, pending):
    _, _, started = pending
    stack.yookassa.succeed(started.provider_payment_id)
    stack.yookassa.faults.path_filter = "/v3/payments/"
    stack.yookassa.faults.fail_next(50, status=500)

    async with stack.unchanged():
        down = await stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
        )
    stack.yookassa.faults.clear()
    again = await stack.yookassa.deliver_webhook(
        stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
    )

    assert (down.status, again.status) == (503, 200)
    assert (await stack.payment(started.payment_id)).status is PaymentStatus.SUCCEEDED


# -- Telegram secret -----------------------------------------------------------------------
async def test_telegram_updates_need_the_secret_token(stack, pending):
    customer, _, _ = pending
    update = stack.tg.text_message(int(customer.telegram_id), "/start")
    url = stack.url("/webhooks/telegram")

    async with stack.unchanged():
        missing = await stack.tg.deliver(update, url, None)
        wrong = await stack.tg.deliver(update, url, "not-the-secret")
        non_ascii = await stack.post(
            "/webhooks/telegram",
            json.dumps(stack.tg.update_json(update)).encode(),
            {"X-Telegram-Bot-Api-Secret-Token": "sécret".encode().decode("latin-1")},
        )

    assert (missing, wrong, non_ascii[0]) == (401, 401, 401)
    assert stack.refusals("telegram", "secret_token") == 3
    assert stack.tg.sent_messages(int(customer.telegram_id)) == []


async def test_without_a_configured_secret_every_telegram_update_is_refused(stack, pending):
    customer, _, _ = pending
    from vpnsales.entrypoints.config import Secret

    url = await stack.serve(telegram_secret=Secret(""))
    update = stack.tg.text_message(int(customer.telegram_id), "/start")

    assert await stack.tg.deliver(update, f"{url}/webhooks/telegram", "") == 401
    assert await stack.tg.deliver(update, f"{url}/webhooks/telegram", None) == 401


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


# -- no transaction is open while the provider is asked ------------------------------------
class _Signalling(deque):
    def __init__(self, event: asyncio.Event) -> None:
        super().__init__(maxlen=100_000)
        self._event = event

    def append(self, item) -> None:
        super().append(item)
        self._event.set()


async def test_the_payment_is_fetched_outside_any_database_transaction(stack, pending):
    _, _, started = pending
    stack.yookassa.succeed(started.provider_payment_id)
    asked = asyncio.Event()
    stack.yookassa.calls = _Signalling(asked)
    stack.yookassa.faults.latency = 0.5  # YooKassa answers slowly …
    delivery = asyncio.create_task(
        stack.yookassa.deliver_webhook(
            stack.url(YOOKASSA), "payment.succeeded", started.provider_payment_id
        )
    )

    await asyncio.wait_for(asked.wait(), 10)  # … and is being asked right now:
    async with stack.sessions() as session:
        open_transactions = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
            )
        )
    result = await delivery

    assert open_transactions == 0
    assert result.status == 200
    assert (await stack.payment(started.payment_id)).status is PaymentStatus.SUCCEEDED
