"""At-least-once in, exactly-once out: concurrent duplicate deliveries of the same
notification credit each payment once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta

import aiohttp
import pytest

from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus

pytestmark = pytest.mark.integration

PAYMENTS = 100
DUPLICATES = 10
IN_FLIGHT = 200
REDELIVERY_ROUNDS = 5


async def _bounded(limit: int, jobs):
    gate = asyncio.Semaphore(limit)

    async def run(job):
        async with gate:
            return await job

    return await asyncio.gather(*(run(job) for job in jobs))


async def test_100_payments_times_10_concurrent_duplicates_make_exactly_100_extensions(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customers = await _bounded(20, [stack.add_customer() for _ in range(PAYMENTS)])
    started = await _bounded(
        20, [stack.checkout(c, tariff, PaymentProvider.YOOKASSA) for c in customers]
    )
    for s in started:
        stack.yookassa.succeed(s.provider_payment_id)
    url = stack.url("/webhooks/yookassa")
    bodies = {
        s.provider_payment_id: json.dumps(
            {
                "type": "notification",
                "event": "payment.succeeded",
                "object": stack.yookassa.payment(s.provider_payment_id),
            }
        ).encode()
        for s in started
    }
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "185.71.76.1"}
    pending = [pid for pid in bodies for _ in range(DUPLICATES)]
    statuses: Counter[int] = Counter()

    # One client session (YooKassa's side), IN_FLIGHT deliveries at a time; an answer
    # other than 200 (503: "could not ask YooKassa in time" on a starved machine) is
    # redelivered, as YooKassa does.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT)) as client:

        async def deliver(pid: str) -> tuple[str, int]:
            async with client.post(url, data=bodies[pid], headers=headers) as response:
                await response.read()
                return pid, response.status

        for _ in range(REDELIVERY_ROUNDS):
            answers = await asyncio.gather(*(deliver(pid) for pid in pending))
            statuses.update(status for _, status in answers)
            pending = [pid for pid, status in answers if status != 200]
            if not pending:
                break

    assert pending == [], f"still refused after {REDELIVERY_ROUNDS} rounds: {statuses}"
    assert set(statuses) <= {200, 503}
    payments = await stack.rows("payments")
    assert Counter(p["status"] for p in payments) == {PaymentStatus.SUCCEEDED.value: PAYMENTS}
    subscriptions = await stack.rows("subscriptions")
    assert len(subscriptions) == PAYMENTS
    assert {s["customer_id"] for s in subscriptions} == {c.id for c in customers}
    assert {s["expires_at"] - s["started_at"] for s in subscriptions} == {timedelta(days=30)}
    assert len(await stack.outbox(OutboxKind.SYNC_ACCESS.value)) == PAYMENTS
    outcomes = stack.metrics.registry.get_sample_value(
        "vpnsales_webhook_requests_total", {"source": "yookassa", "outcome": "confirmed"}
    )
    assert outcomes == PAYMENTS


async def test_concurrent_duplicates_of_renewals_extend_one_subscription_once_each(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    first = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    stack.cryptopay.pay(first.provider_payment_id)
    url = stack.url("/webhooks/cryptopay")
    assert (await stack.cryptopay.deliver_webhook(url, first.provider_payment_id)).status == 200
    subscription_id = (await stack.payment(first.payment_id)).subscription_id
    before = await stack.subscription(subscription_id)
    renewals = [
        await stack.checkout(
            customer,
            tariff,
            PaymentProvider.CRYPTOPAY,
            purpose=PaymentPurpose.RENEWAL,
            subscription_id=subscription_id,
        )
        for _ in range(5)
    ]
    for r in renewals:
        stack.cryptopay.pay(r.provider_payment_id)

    deliveries = await asyncio.gather(
        *(
            stack.cryptopay.deliver_webhook(url, r.provider_payment_id)
            for r in renewals
            for _ in range(DUPLICATES)
        )
    )

    assert {d.status for d in deliveries} == {200}
    after = await stack.subscription(subscription_id)
    assert after.expires_at - before.expires_at == timedelta(days=30 * len(renewals))
    assert len(await stack.rows("subscriptions")) == 1
