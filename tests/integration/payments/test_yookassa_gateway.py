"""YooKassaGateway against the YooKassa emulator over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import uuid
from decimal import Decimal

import httpx
import pytest

from vpnsales.adapters.payments import YooKassaConfig, YooKassaGateway
from vpnsales.application.ports.payments import (
    FailureReason,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderPaymentNotFound,
    ProviderStatus,
    ReceiptSpec,
)
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider

pytestmark = pytest.mark.integration


def _posts(emulator, fragment="/v3/payments"):
    return [c for c in emulator.calls_to(fragment, "POST") if c.path == fragment]


def _body(call) -> dict:
    return json.loads(call.body)


# -- create / fetch ----------------------------------------------------------------------
async def test_create_returns_confirmation_url_and_links_our_id(
    yookassa, yookassa_gateway, checkout
):
    request = checkout("199")

    result = await yookassa_gateway.create(request)

    assert result.pay_url is not None
    assert result.pay_url.startswith("https://yoomoney.ru/")
    stored = yookassa.payment(result.provider_payment_id)
    assert stored["metadata"]["payment_id"] == str(request.payment_id)
    assert stored["status"] == "pending"
    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.provider is PaymentProvider.YOOKASSA
    assert fetched.status is ProviderStatus.PENDING
    assert fetched.payment_id == request.payment_id
    assert fetched.amount == Money.of("199", Currency.RUB)


async def test_amount_goes_out_as_a_two_decimal_string(yookassa, yookassa_gateway, checkout):
    await yookassa_gateway.create(checkout("199"))
    await yookassa_gateway.create(checkout(Decimal("1234.5")))

    first, second = (_body(c) for c in _posts(yookassa))
    assert first["amount"] == {"value": "199.00", "currency": "RUB"}
    assert second["amount"] == {"value": "1234.50", "currency": "RUB"}
    raw = _posts(yookassa)[0].body
    assert b'"value": "199.00"' in raw or b'"value":"199.00"' in raw


async def test_emulator_refuses_float_amounts(yookassa):
    auth = base64.b64encode(f"{yookassa.shop_id}:{yookassa.secret_key}".encode()).decode()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{yookassa.base_url}/v3/payments",
            json={
                "amount": {"value": 199.0, "currency": "RUB"},
                "capture": True,
                "confirmation": {"type": "redirect", "return_url": "https://example.com"},
            },
            headers={"Authorization": f"Basic {auth}", "Idempotence-Key": "k-1"},
        )
    assert response.status_code == 400
    assert response.json()["parameter"] == "amount.value"


async def test_succeeded_payment_is_reported_with_paid_at(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)

    assert fetched.status is ProviderStatus.SUCCEEDED
    assert fetched.paid_at is not None
    assert fetched.paid_at.tzinfo is not None
    assert fetched.raw_status == "succeeded"


async def test_amount_mismatch_is_reported_as_the_provider_saw_it(
    yookassa, yookassa_gateway, checkout
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id, amount="1.00")

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)

    assert fetched.amount == Money.exact("1.00", Currency.RUB)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("expired_on_confirmation", FailureReason.EXPIRED),
        ("insufficient_funds", FailureReason.INSUFFICIENT_FUNDS),
        ("3d_secure_failed", FailureReason.AUTHENTICATION_FAILED),
        ("card_expired", FailureReason.CARD_EXPIRED),
        ("fraud_suspected", FailureReason.FRAUD_SUSPECTED),
        ("general_decline", FailureReason.DECLINED),
        ("canceled_by_merchant", FailureReason.CANCELED_BY_MERCHANT),
        ("internal_timeout", FailureReason.UNKNOWN),
    ],
)
async def test_cancellation_reason_is_mapped(
    yookassa, yookassa_gateway, checkout, reason, expected
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.cancel(result.provider_payment_id, reason=reason)

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)

    assert fetched.status is ProviderStatus.CANCELED
    assert fetched.failure_reason is expected
    assert fetched.extra["cancellation_reason"] == reason


async def test_unconfirmed_payment_expires_by_the_emulator_clock(
    yookassa, yookassa_gateway, checkout, clock
):
    result = await yookassa_gateway.create(checkout("199"))
    clock.advance(hours=2)

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)

    assert fetched.status is ProviderStatus.CANCELED
    assert fetched.failure_reason is FailureReason.EXPIRED


async def test_unknown_payment_is_not_found(yookassa_gateway):
    with pytest.raises(ProviderPaymentNotFound):
        await yookassa_gateway.fetch("2d8b6f4e-000f-5000-9000-1b2c3d4e5f60")


async def test_ids_that_could_escape_the_path_are_refused_without_a_call(
    yookassa, yookassa_gateway
):
    for bad in ("../refunds", "a/b", "", "x" * 65, "id?x=1"):
        with pytest.raises(ProviderPaymentNotFound):
            await yookassa_gateway.fetch(bad)
    assert list(yookassa.calls) == []


async def test_below_minimum_and_stars_are_refused_locally(yookassa, yookassa_gateway, checkout):
    assert yookassa_gateway.minimum_charge == Money.of("1.00", Currency.RUB)
    with pytest.raises(PaymentGatewayRejected):
        await yookassa_gateway.create(checkout("0.99"))
    with pytest.raises(PaymentGatewayRejected):
        await yookassa_gateway.create(checkout("10", Currency.XTR))
    assert list(yookassa.calls) == []


# -- idempotency and retries -------------------------------------------------------------
async def test_repeated_create_reuses_the_key_and_creates_one_payment(
    yookassa, yookassa_gateway, checkout
):
    request = checkout("199")

    first = await yookassa_gateway.create(request)
    second = await yookassa_gateway.create(request)

    assert first.provider_payment_id == second.provider_payment_id
    assert len(yookassa.creations) == 1
    assert yookassa.idempotence_keys == [f"create-{request.payment_id}"] * 2


async def test_same_key_with_another_body_is_rejected(yookassa, yookassa_gateway, checkout):
    payment_id = PaymentId(uuid.uuid4())
    await yookassa_gateway.create(checkout("199", payment_id=payment_id))

    with pytest.raises(PaymentGatewayRejected, match="Idempotence key duplicated"):
        await yookassa_gateway.create(checkout("299", payment_id=payment_id))
    assert len(yookassa.creations) == 1


async def test_202_is_retried_after_retry_after_with_the_same_key(
    yookassa, yookassa_gateway, checkout, sleep
):
    request = checkout("199")
    yookassa.processing_next(2, retry_after_ms=1500)

    result = await yookassa_gateway.create(request)

    attempts = _posts(yookassa)
    assert [c.status for c in attempts] == [202, 202, 200]
    keys = {c.headers["Idempotence-Key"] for c in attempts}
    assert keys == {f"create-{request.payment_id}"}
    assert sleep.delays == [1.5, 1.5]
    assert yookassa.creations == [result.provider_payment_id]


async def test_202_beyond_the_attempt_budget_is_unavailable(yookassa, yookassa_gateway, checkout):
    yookassa.processing_next(10, retry_after_ms=10)

    with pytest.raises(PaymentGatewayUnavailable) as caught:
        await yookassa_gateway.create(checkout("199"))

    assert caught.value.retryable
    assert len(_posts(yookassa)) == 4
    assert yookassa.creations == []


async def test_500_after_processing_is_retried_and_replayed(
    yookassa, yookassa_gateway, checkout, sleep
):
    request = checkout("199")
    yookassa.fail_next_posts(2, after_processing=True)

    result = await yookassa_gateway.create(request)

    attempts = _posts(yookassa)
    assert [c.status for c in attempts] == [500, 500, 200]
    assert {c.headers["Idempotence-Key"] for c in attempts} == {f"create-{request.payment_id}"}
    assert yookassa.creations == [result.provider_payment_id]
    assert len(sleep.delays) == 2
    assert all(0 < d <= 0.05 for d in sleep.delays)


async def test_500_on_reads_and_dropped_connections_are_retried(
    yookassa, yookassa_gateway, checkout
):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.faults.fail_next(2, status=500)

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.status is ProviderStatus.PENDING

    yookassa.faults.drop_next(1)
    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.status is ProviderStatus.PENDING


async def test_429_waits_for_retry_after(yookassa, yookassa_gateway, checkout, sleep):
    yookassa.faults.throttle_next(1, retry_after=2)

    await yookassa_gateway.create(checkout("199"))

    assert sleep.delays == [2.0]


async def test_persistent_outage_is_unavailable(yookassa, yookassa_gateway, checkout):
    yookassa.faults.down = True

    with pytest.raises(PaymentGatewayUnavailable):
        await yookassa_gateway.create(checkout("199"))
    assert len(yookassa.calls) == 4


async def test_4xx_is_not_retried(yookassa, yookassa_gateway, checkout, sleep):
    yookassa.receipt_required = True

    with pytest.raises(PaymentGatewayRejected, match="receipt") as caught:
        await yookassa_gateway.create(checkout("199"))

    assert not caught.value.retryable
    assert len(yookassa.calls) == 1
    assert sleep.delays == []


async def test_wrong_credentials_are_rejected_without_leaking_the_secret(
    yookassa, yookassa_config, sleep, checkout
):
    secret = "wrong_secret_value_123"
    config = YooKassaConfig(
        shop_id=yookassa.shop_id,
        secret_key=secret,
        return_url="https://t.me/bot",
        api_base=yookassa_config.api_base,
        retry=yookassa_config.retry,
    )
    async with YooKassaGateway(config, sleep=sleep) as gateway:
        with pytest.raises(PaymentGatewayRejected) as caught:
            await gateway.create(checkout("199"))
        assert secret not in repr(gateway)
    assert "invalid_credentials" in str(caught.value)
    assert secret not in str(caught.value)
    assert secret not in repr(config)
    assert len(yookassa.calls) == 1


# -- receipts ------------------------------------------------------------------------------
async def test_receipt_is_sent_with_config_defaults(yookassa, yookassa_gateway, checkout):
    yookassa.receipt_required = True
    request = checkout(
        "199",
        receipt=ReceiptSpec(customer_email="buyer@example.com", item_description="VPN 30 days"),
    )

    result = await yookassa_gateway.create(request)

    receipt = _body(_posts(yookassa)[0])["receipt"]
    assert receipt["customer"] == {"email": "buyer@example.com"}
    (item,) = receipt["items"]
    assert item["amount"] == {"value": "199.00", "currency": "RUB"}
    assert item["vat_code"] == 6
    assert item["payment_subject"] == "service"
    assert item["payment_mode"] == "full_payment"
    assert yookassa.payment(result.provider_payment_id)["receipt_registration"] == "pending"


async def test_receipt_without_contact_is_refused_locally(yookassa, yookassa_gateway, checkout):
    with pytest.raises(PaymentGatewayRejected):
        await yookassa_gateway.create(checkout("199", receipt=ReceiptSpec(item_description="VPN")))
    assert list(yookassa.calls) == []


# -- cancel --------------------------------------------------------------------------------
async def test_cancel_of_a_pending_payment_returns_the_fetched_state(
    yookassa, yookassa_gateway, checkout
):
    result = await yookassa_gateway.create(checkout("199"))

    state = await yookassa_gateway.cancel(result.provider_payment_id)

    assert state.status is ProviderStatus.PENDING
    assert yookassa.calls_to("/cancel") == []


async def test_cancel_of_a_payment_waiting_for_capture(yookassa, yookassa_gateway):
    auth = base64.b64encode(f"{yookassa.shop_id}:{yookassa.secret_key}".encode()).decode()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{yookassa.base_url}/v3/payments",
            json={
                "amount": {"value": "199.00", "currency": "RUB"},
                "capture": False,
                "confirmation": {"type": "redirect", "return_url": "https://example.com"},
            },
            headers={"Authorization": f"Basic {auth}", "Idempotence-Key": "two-stage-1"},
        )
    provider_id = response.json()["id"]
    yookassa.succeed(provider_id)
    assert (await yookassa_gateway.fetch(provider_id)).raw_status == "waiting_for_capture"

    state = await yookassa_gateway.cancel(provider_id)

    assert state.status is ProviderStatus.CANCELED
    assert state.failure_reason is FailureReason.CANCELED_BY_MERCHANT
    (call,) = yookassa.calls_to("/cancel", "POST")
    assert call.headers["Idempotence-Key"] == f"cancel-{provider_id}"


# -- refunds -------------------------------------------------------------------------------
async def test_full_refund_marks_the_payment_refunded(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)

    refund = await yookassa_gateway.refund(
        result.provider_payment_id, Money.of("199", Currency.RUB), idempotency_key="r-1"
    )

    assert refund.succeeded
    assert refund.amount == Money.of("199", Currency.RUB)
    (call,) = yookassa.calls_to("/v3/refunds", "POST")
    assert call.headers["Idempotence-Key"] == "refund-r-1"
    assert _body(call) == {
        "payment_id": result.provider_payment_id,
        "amount": {"value": "199.00", "currency": "RUB"},
    }
    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.status is ProviderStatus.REFUNDED
    assert fetched.refunded_amount == Money.of("199", Currency.RUB)


async def test_partial_refund_keeps_the_payment_succeeded(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)

    await yookassa_gateway.refund(
        result.provider_payment_id, Money.of("50", Currency.RUB), idempotency_key="r-2"
    )

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.status is ProviderStatus.SUCCEEDED
    assert fetched.refunded_amount == Money.of("50", Currency.RUB)


async def test_refund_retried_after_500_is_made_once(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)
    yookassa.fail_next_posts(1, after_processing=True)
    long_key = "refund for payment " + "x" * 80

    refund = await yookassa_gateway.refund(
        result.provider_payment_id, Money.of("199", Currency.RUB), idempotency_key=long_key
    )

    assert refund.succeeded
    assert yookassa.refund_creations == [refund.provider_refund_id]
    keys = [c.headers["Idempotence-Key"] for c in yookassa.calls_to("/v3/refunds", "POST")]
    assert len(keys) == 2
    assert len(set(keys)) == 1
    assert len(keys[0]) <= 64


async def test_refund_of_an_unpaid_payment_is_rejected(yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    with pytest.raises(PaymentGatewayRejected):
        await yookassa_gateway.refund(
            result.provider_payment_id, Money.of("199", Currency.RUB), idempotency_key="r-3"
        )


async def test_refund_hook_and_get_refund_endpoint(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)
    refund = yookassa.refund(result.provider_payment_id)

    auth = httpx.BasicAuth(yookassa.shop_id, yookassa.secret_key)
    async with httpx.AsyncClient(auth=auth) as client:
        response = await client.get(f"{yookassa.base_url}/v3/refunds/{refund['id']}")

    assert response.json()["status"] == "succeeded"
    assert (await yookassa_gateway.fetch(result.provider_payment_id)).status is (
        ProviderStatus.REFUNDED
    )


# -- recurring -----------------------------------------------------------------------------
async def _saved_method(yookassa, yookassa_gateway, checkout) -> str:
    result = await yookassa_gateway.create(checkout("199", save_payment_method=True))
    assert _body(_posts(yookassa)[0])["save_payment_method"] is True
    yookassa.succeed(result.provider_payment_id)
    fetched = await yookassa_gateway.fetch(result.provider_payment_id)
    assert fetched.saved_method_id is not None
    return fetched.saved_method_id


async def test_unsaved_method_is_not_reported(yookassa, yookassa_gateway, checkout):
    result = await yookassa_gateway.create(checkout("199"))
    yookassa.succeed(result.provider_payment_id)

    fetched = await yookassa_gateway.fetch(result.provider_payment_id)

    assert fetched.saved_method_id is None
    assert fetched.extra["payment_method_type"] == "bank_card"


async def test_charge_saved_method_succeeds_without_confirmation(
    yookassa, yookassa_gateway, checkout
):
    method_id = await _saved_method(yookassa, yookassa_gateway, checkout)
    renewal = checkout("199")

    charged = await yookassa_gateway.charge_saved(method_id, renewal)

    assert charged.status is ProviderStatus.SUCCEEDED
    assert charged.payment_id == renewal.payment_id
    body = _body(_posts(yookassa)[-1])
    assert body["payment_method_id"] == method_id
    assert body["capture"] is True
    assert "confirmation" not in body
    assert _posts(yookassa)[-1].headers["Idempotence-Key"] == f"charge-{renewal.payment_id}"


async def test_declined_recurring_charge_is_canceled_with_a_reason(
    yookassa, yookassa_gateway, checkout
):
    method_id = await _saved_method(yookassa, yookassa_gateway, checkout)
    yookassa.decline_next_recurring("insufficient_funds")

    charged = await yookassa_gateway.charge_saved(method_id, checkout("199"))

    assert charged.status is ProviderStatus.CANCELED
    assert charged.failure_reason is FailureReason.INSUFFICIENT_FUNDS


async def test_unknown_saved_method_is_rejected(yookassa_gateway, checkout):
    with pytest.raises(PaymentGatewayRejected):
        await yookassa_gateway.charge_saved("2d8b6f4e-000f-5000-9000-000000000000", checkout("199"))


async def test_gateway_works_over_a_shared_client(yookassa_config, sleep, checkout):
    async with httpx.AsyncClient() as client:
        gateway = YooKassaGateway(yookassa_config, client=client, sleep=sleep, rng=random.Random(1))
        result = await gateway.create(checkout("199"))
        await gateway.aclose()  # does not close a client it does not own
        assert (await gateway.fetch(result.provider_payment_id)).status is ProviderStatus.PENDING


async def test_concurrent_duplicate_creates_make_one_payment(yookassa, yookassa_gateway, checkout):
    request = checkout("199")

    results = await asyncio.gather(*(yookassa_gateway.create(request) for _ in range(10)))

    assert len({r.provider_payment_id for r in results}) == 1
    assert len(yookassa.creations) == 1


# -- emulator conformance ------------------------------------------------------------------
async def test_emulator_protocol_errors(yookassa):
    good = httpx.BasicAuth(yookassa.shop_id, yookassa.secret_key)
    body = {
        "amount": {"value": "10.00", "currency": "RUB"},
        "confirmation": {"type": "redirect", "return_url": "https://example.com"},
        "metadata": {f"k{i}": "v" for i in range(17)},
    }
    url = f"{yookassa.base_url}/v3/payments"
    async with httpx.AsyncClient() as client:
        unauthorized = await client.get(f"{url}/x", auth=httpx.BasicAuth("1", "nope"))
        no_key = await client.post(url, json=body, auth=good)
        bad_key = await client.post(
            url, json=body, auth=good, headers={"Idempotence-Key": "bad key!"}
        )
        long_key = await client.post(
            url, json=body, auth=good, headers={"Idempotence-Key": "k" * 65}
        )
        too_much_metadata = await client.post(
            url, json=body, auth=good, headers={"Idempotence-Key": "meta-1"}
        )
        unknown_path = await client.get(f"{yookassa.base_url}/v3/nothing", auth=good)

    assert unauthorized.status_code == 401
    assert unauthorized.json()["code"] == "invalid_credentials"
    assert unauthorized.json()["type"] == "error"
    for response in (no_key, bad_key, long_key):
        assert response.status_code == 400
        assert response.json()["parameter"] == "Idempotence-Key"
    assert too_much_metadata.json()["parameter"] == "metadata"
    assert unknown_path.status_code == 404
    assert yookassa.creations == []


async def test_emulator_two_stage_capture_and_202_body(yookassa):
    auth = httpx.BasicAuth(yookassa.shop_id, yookassa.secret_key)
    url = f"{yookassa.base_url}/v3/payments"
    body = {
        "amount": {"value": "10.00", "currency": "RUB"},
        "capture": False,
        "confirmation": {"type": "redirect", "return_url": "https://example.com"},
    }
    yookassa.processing_next(1, retry_after_ms=250)
    async with httpx.AsyncClient(auth=auth) as client:
        processing = await client.post(url, json=body, headers={"Idempotence-Key": "two-1"})
        created = await client.post(url, json=body, headers={"Idempotence-Key": "two-1"})
        payment_id = created.json()["id"]
        early = await client.post(
            f"{url}/{payment_id}/capture", json={}, headers={"Idempotence-Key": "cap-0"}
        )
        yookassa.succeed(payment_id)
        waiting = await client.get(f"{url}/{payment_id}")
        captured = await client.post(
            f"{url}/{payment_id}/capture", json={}, headers={"Idempotence-Key": "cap-1"}
        )

    assert processing.status_code == 202
    assert processing.json()["retry_after"] == 250
    assert processing.json()["type"] == "error"
    assert early.status_code == 400
    assert waiting.json()["status"] == "waiting_for_capture"
    assert waiting.json()["expires_at"]
    assert captured.json()["status"] == "succeeded"
    assert captured.json()["captured_at"]
    assert captured.json()["income_amount"]["value"] == "9.65"
