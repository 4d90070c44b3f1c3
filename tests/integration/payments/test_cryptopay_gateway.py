"""CryptoPayGateway against the Crypto Pay emulator over real HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from vpnsales.adapters.payments import CryptoPayConfig, CryptoPayGateway
from vpnsales.application.ports.payments import (
    FailureReason,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderPaymentNotFound,
    ProviderStatus,
)
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider

pytestmark = pytest.mark.integration


def _params(call) -> dict:
    return json.loads(call.body)


async def test_create_makes_a_fiat_invoice_for_our_payment(cryptopay, cryptopay_gateway, checkout):
    request = checkout("199", expires_in_seconds=900)

    result = await cryptopay_gateway.create(request)

    assert result.pay_url is not None
    assert result.pay_url.startswith("https://t.me/CryptoBot?start=IV")
    assert result.provider_payment_id.isdigit()
    assert result.expires_at is not None
    (call,) = cryptopay.calls_to("/api/createInvoice")
    assert call.headers["Crypto-Pay-API-Token"] == cryptopay.token
    params = _params(call)
    assert params["currency_type"] == "fiat"
    assert params["fiat"] == "RUB"
    assert params["amount"] == "199.00"
    assert params["accepted_assets"] == "USDT,TON,BTC"
    assert params["payload"] == str(request.payment_id)
    assert params["expires_in"] == 900
    invoice = cryptopay.invoice(result.provider_payment_id)
    assert invoice["accepted_assets"] == ["USDT", "TON", "BTC"]


async def test_fetch_active_then_paid(cryptopay, cryptopay_gateway, checkout):
    request = checkout("5.50", Currency.USD)
    result = await cryptopay_gateway.create(request)

    pending = await cryptopay_gateway.fetch(result.provider_payment_id)
    assert pending.provider is PaymentProvider.CRYPTOPAY
    assert pending.status is ProviderStatus.PENDING
    assert pending.payment_id == request.payment_id
    assert pending.amount == Money.of("5.50", Currency.USD)

    cryptopay.pay(result.provider_payment_id, paid_asset="TON")
    paid = await cryptopay_gateway.fetch(result.provider_payment_id)

    assert paid.status is ProviderStatus.SUCCEEDED
    assert paid.paid_at is not None
    assert paid.extra["paid_asset"] == "TON"
    assert paid.amount == Money.of("5.50", Currency.USD)
    assert paid.refunded_amount is None


async def test_invoice_expires_by_the_clock(cryptopay_gateway, checkout, clock):
    result = await cryptopay_gateway.create(checkout("199", expires_in_seconds=600))
    clock.advance(seconds=601)

    fetched = await cryptopay_gateway.fetch(result.provider_payment_id)

    assert fetched.status is ProviderStatus.EXPIRED
    assert fetched.failure_reason is FailureReason.EXPIRED


async def test_expire_hook(cryptopay, cryptopay_gateway, checkout):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.expire(result.provider_payment_id)

    assert (await cryptopay_gateway.fetch(result.provider_payment_id)).status is (
        ProviderStatus.EXPIRED
    )


async def test_cancel_deletes_an_active_invoice(cryptopay, cryptopay_gateway, checkout):
    result = await cryptopay_gateway.create(checkout("199"))

    state = await cryptopay_gateway.cancel(result.provider_payment_id)

    assert state.status is ProviderStatus.EXPIRED
    assert state.raw_status == "deleted"
    assert cryptopay.deleted == [int(result.provider_payment_id)]
    with pytest.raises(ProviderPaymentNotFound):
        await cryptopay_gateway.fetch(result.provider_payment_id)


async def test_cancel_leaves_a_paid_invoice_alone(cryptopay, cryptopay_gateway, checkout):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.pay(result.provider_payment_id)

    state = await cryptopay_gateway.cancel(result.provider_payment_id)

    assert state.status is ProviderStatus.SUCCEEDED
    assert cryptopay.deleted == []


async def test_refund_is_not_supported(cryptopay, cryptopay_gateway, checkout):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.pay(result.provider_payment_id)
    calls_before = len(cryptopay.calls)

    with pytest.raises(PaymentGatewayRejected, match="no refund API"):
        await cryptopay_gateway.refund(
            result.provider_payment_id, Money.of("199", Currency.RUB), idempotency_key="r"
        )
    assert len(cryptopay.calls) == calls_before


async def test_unknown_and_malformed_invoice_ids(cryptopay, cryptopay_gateway):
    with pytest.raises(ProviderPaymentNotFound):
        await cryptopay_gateway.fetch("999999")
    calls = len(cryptopay.calls)
    for bad in ("abc", "1,2", "", "١٢"):
        with pytest.raises(ProviderPaymentNotFound):
            await cryptopay_gateway.fetch(bad)
    assert len(cryptopay.calls) == calls


async def test_stars_are_refused_locally(cryptopay, cryptopay_gateway, checkout):
    with pytest.raises(PaymentGatewayRejected):
        await cryptopay_gateway.create(checkout("10", Currency.XTR))
    assert list(cryptopay.calls) == []


async def test_wrong_token_is_rejected_without_leaking_it(cryptopay, cryptopay_config, checkout):
    token = "99999:WRONGtokenVALUE"
    config = CryptoPayConfig(token=token, api_base=cryptopay_config.api_base)
    async with CryptoPayGateway(config) as gateway:
        with pytest.raises(PaymentGatewayRejected) as caught:
            await gateway.create(checkout("199"))
        assert token not in repr(gateway)
    assert "UNAUTHORIZED" in str(caught.value)
    assert token not in str(caught.value)
    assert token not in repr(config)


async def test_create_is_not_retried_after_a_5xx(cryptopay, cryptopay_gateway, checkout, sleep):
    cryptopay.faults.fail_next(1, status=500)

    with pytest.raises(PaymentGatewayUnavailable):
        await cryptopay_gateway.create(checkout("199"))

    assert len(cryptopay.calls_to("/api/createInvoice")) == 1
    assert sleep.delays == []


async def test_create_is_retried_after_429(cryptopay, cryptopay_gateway, checkout, sleep):
    cryptopay.faults.throttle_next(1, retry_after=1)

    await cryptopay_gateway.create(checkout("199"))

    assert len(cryptopay.calls_to("/api/createInvoice")) == 2
    assert sleep.delays == [1.0]
    assert len(cryptopay.creations) == 1


async def test_reads_are_retried_after_5xx_and_drops(cryptopay, cryptopay_gateway, checkout):
    result = await cryptopay_gateway.create(checkout("199"))
    cryptopay.faults.fail_next(2, status=502)

    assert (await cryptopay_gateway.fetch(result.provider_payment_id)).status is (
        ProviderStatus.PENDING
    )

    cryptopay.faults.drop_next(1)
    assert (await cryptopay_gateway.fetch(result.provider_payment_id)).status is (
        ProviderStatus.PENDING
    )


async def test_validation_error_is_rejected_once(cryptopay, cryptopay_config, checkout, sleep):
    config = CryptoPayConfig(
        token=cryptopay_config.token,
        api_base=cryptopay_config.api_base,
        accepted_assets=("USDT", "NOPE"),
        retry=cryptopay_config.retry,
    )
    async with CryptoPayGateway(config, sleep=sleep) as gateway:
        with pytest.raises(PaymentGatewayRejected, match="ACCEPTED_ASSETS_INVALID"):
            await gateway.create(checkout("199"))
    assert len(cryptopay.calls) == 1


# -- emulator conformance: parameters from query, JSON or form -----------------------------
async def test_emulator_accepts_query_json_and_form(cryptopay):
    headers = {"Crypto-Pay-API-Token": cryptopay.token}
    base = f"{cryptopay.base_url}/api"
    async with httpx.AsyncClient(headers=headers) as client:
        by_query = await client.get(
            f"{base}/createInvoice", params={"asset": "USDT", "amount": "1.5"}
        )
        by_form = await client.post(
            f"{base}/createInvoice",
            data={"currency_type": "fiat", "fiat": "EUR", "amount": "3", "expires_in": "60"},
        )
        by_json = await client.post(
            f"{base}/getInvoices", json={"invoice_ids": [1000, 1001], "count": 10}
        )
        too_many = await client.post(f"{base}/getInvoices", json={"count": 1001})
        me = await client.get(f"{base}/getMe")
        unknown = await client.get(f"{base}/nope")

    assert by_query.json()["result"]["asset"] == "USDT"
    assert by_form.json()["result"]["fiat"] == "EUR"
    assert by_form.json()["result"]["expiration_date"]
    items = by_json.json()["result"]["items"]
    assert {i["invoice_id"] for i in items} == {1000, 1001}
    assert too_many.json() == {"ok": False, "error": {"code": 400, "name": "COUNT_INVALID"}}
    assert me.json()["result"]["payment_processing_bot_username"] == "CryptoBot"
    assert unknown.json()["ok"] is False


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"asset": "USDT", "amount": "1", "expires_in": 0}, "EXPIRES_IN_INVALID"),
        ({"asset": "USDT", "amount": "1", "expires_in": 2_678_401}, "EXPIRES_IN_INVALID"),
        ({"asset": "USDT", "amount": "1", "description": "x" * 1025}, "DESCRIPTION_TOO_LONG"),
        ({"asset": "USDT", "amount": "1", "payload": "x" * 4097}, "PAYLOAD_TOO_LONG"),
        ({"asset": "XXX", "amount": "1"}, "ASSET_INVALID"),
        ({"asset": "USDT", "amount": "-1"}, "AMOUNT_INVALID"),
    ],
)
async def test_emulator_validates_create_invoice(cryptopay, params, error):
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{cryptopay.base_url}/api/createInvoice",
            json=params,
            headers={"Crypto-Pay-API-Token": cryptopay.token},
        )
    assert response.json()["error"]["name"] == error
    assert cryptopay.creations == []
