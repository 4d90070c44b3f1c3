"""StarsGateway (PaymentGateway for Telegram Stars) against the Bot API emulator."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from aiogram import Bot

from vpnsales.adapters.payments.stars import (
    StarsGateway,
    parse_refund_reference,
    stars_price,
    stars_refund_reference,
)
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderStatus,
)
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.testing.emulators.telegram import TelegramEmulator


def checkout(amount: Money, *, title: str = "VPN 30 days") -> CheckoutRequest:
    return CheckoutRequest(
        payment_id=PaymentId(uuid.uuid4()),
        amount=amount,
        description="Unlimited VPN for 30 days",
        telegram_id=7001,
        title=title,
    )


async def test_create_makes_an_xtr_invoice_link(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    request = checkout(Money.of(150, "XTR"))
    result = await gateway.create(request)

    assert result.provider_payment_id == str(request.payment_id)
    assert result.pay_url is not None
    assert result.pay_url in tg.invoice_links
    link = tg.invoice_links[result.pay_url]
    assert (link.currency, link.amount, link.payload) == ("XTR", 150, str(request.payment_id))
    assert link.title == "VPN 30 days"
    assert link.subscription_period is None
    assert gateway.provider is PaymentProvider.STARS
    assert gateway.minimum_charge == Money.of(1, Currency.XTR)


async def test_create_refuses_non_star_amounts(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    with pytest.raises(PaymentGatewayRejected, match="XTR"):
        await gateway.create(checkout(Money.of("199.00", "RUB")))
    with pytest.raises(PaymentGatewayRejected, match="at least 1"):
        await gateway.create(checkout(Money.zero("XTR")))
    assert not tg.calls_of("createInvoiceLink")


async def test_create_maps_telegram_errors(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    tg.faults.throttle_next(1, retry_after=5)
    with pytest.raises(PaymentGatewayUnavailable, match="retry after 5"):
        await gateway.create(checkout(Money.of(10, "XTR")))
    tg.faults.fail_next(1, status=502)
    with pytest.raises(PaymentGatewayUnavailable):
        await gateway.create(checkout(Money.of(10, "XTR")))
    tg.faults.drop_next(1)
    with pytest.raises(PaymentGatewayUnavailable, match="network"):
        await gateway.create(checkout(Money.of(10, "XTR")))
    tg.faults.fail_next(1, status=400)
    with pytest.raises(PaymentGatewayRejected, match="Bad Request"):
        await gateway.create(checkout(Money.of(10, "XTR")))
    long_title = await gateway.create(checkout(Money.of(10, "XTR"), title="x" * 40))
    assert long_title.pay_url is not None
    assert tg.invoice_links[long_title.pay_url].title == "x" * 32


async def test_refund_by_reference_is_idempotent(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    user = tg.add_user(7002)
    update = tg.successful_payment(user, total_amount=150, invoice_payload="p-1")
    assert update.message is not None
    assert update.message.successful_payment is not None
    charge_id = update.message.successful_payment.telegram_payment_charge_id
    reference = stars_refund_reference(user.id, charge_id)

    first = await gateway.refund(reference, Money.of(150, "XTR"), idempotency_key="r-1")
    again = await gateway.refund(reference, Money.of(150, "XTR"), idempotency_key="r-1")

    assert first.succeeded
    assert again.succeeded
    assert first.provider_refund_id == charge_id
    assert first.amount == Money.of(150, "XTR")
    assert tg.charges[charge_id].refunded_at is not None
    assert [c.status for c in tg.calls_of("refundStarPayment")] == [200, 400]


async def test_refund_errors(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    user = tg.add_user(7003)
    stars = Money.of(5, "XTR")
    with pytest.raises(PaymentGatewayRejected, match="user_id"):
        await gateway.refund("just-a-charge-id", stars, idempotency_key="k")
    with pytest.raises(PaymentGatewayRejected, match="XTR"):
        await gateway.refund("1:c", Money.of(5, "RUB"), idempotency_key="k")
    with pytest.raises(PaymentGatewayRejected, match="CHARGE_ID_INVALID"):
        await gateway.refund(f"{user.id}:unknown", stars, idempotency_key="k")
    tg.faults.throttle_next(1)
    with pytest.raises(PaymentGatewayUnavailable):
        await gateway.refund(f"{user.id}:unknown", stars, idempotency_key="k")
    direct = tg.successful_payment(user, total_amount=5, invoice_payload="p-2")
    assert direct.message is not None
    assert direct.message.successful_payment is not None
    result = await gateway.refund_to(
        user.id, direct.message.successful_payment.telegram_payment_charge_id
    )
    assert result.succeeded


async def test_fetch_is_unsupported_and_cancel_is_local(tg: TelegramEmulator, bot: Bot) -> None:
    gateway = StarsGateway(bot)
    payment_id = uuid.uuid4()
    with pytest.raises(PaymentGatewayRejected, match="no API"):
        await gateway.fetch(str(payment_id))
    canceled = await gateway.cancel(str(payment_id))
    assert canceled.status is ProviderStatus.EXPIRED
    assert canceled.payment_id == payment_id
    assert not tg.api_calls


def test_refund_reference_round_trip() -> None:
    reference = stars_refund_reference(42, "stx:abc")
    assert reference == "42:stx:abc"
    assert parse_refund_reference(reference) == (42, "stx:abc")


@pytest.mark.parametrize(
    ("rub", "rate", "stars"),
    [
        ("199.00", "1.79", 112),  # 111.17 → up
        ("179.00", "1.79", 100),  # exact
        ("0.01", "1.79", 1),  # at least one star
        ("0.00", "1.79", 1),
    ],
)
def test_stars_price_rounds_up(rub: str, rate: str, stars: int) -> None:
    assert stars_price(Money.of(rub, "RUB"), Decimal(rate)) == Money.of(stars, "XTR")


def test_stars_price_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        stars_price(Money.of(1, "XTR"), Decimal(1))
    with pytest.raises(ValueError):
        stars_price(Money.of(1, "RUB"), Decimal(0))
