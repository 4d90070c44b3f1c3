"""Test-data builders for the domain: valid defaults, override only what a test is about."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from hypothesis import settings

from vpnsales.domain.access import Access
from vpnsales.domain.customer import Customer, Language
from vpnsales.domain.ids import (
    AccessId,
    CustomerId,
    PanelId,
    PaymentId,
    PromoCodeId,
    SubscriptionId,
    TariffId,
    TelegramId,
)
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import Quote, make_quote
from vpnsales.domain.promo import PromoCode, PromoKind
from vpnsales.domain.subscription import Subscription, SubscriptionStatus
from vpnsales.domain.tariff import PanelBinding, Tariff, TariffOption

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

PROPERTY = settings(max_examples=60, deadline=None)
"""Shared Hypothesis budget: the whole folder must stay well under 30 s."""


def rub(value: Decimal | int | str) -> Money:
    return Money.of(value, Currency.RUB)


def xtr(value: Decimal | int | str) -> Money:
    return Money.of(value, Currency.XTR)


def usd(value: Decimal | int | str) -> Money:
    return Money.of(value, Currency.USD)


def customer_id() -> CustomerId:
    return CustomerId(uuid4())


def tariff_id() -> TariffId:
    return TariffId(uuid4())


def a_customer(**overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "id": customer_id(),
        "telegram_id": TelegramId(100500),
        "created_at": NOW - 30 * DAY,
        "language": Language.EN,
    }
    fields.update(overrides)
    return Customer(**fields)


def an_option(days: int = 30, prices: Mapping[Currency, Money] | None = None) -> TariffOption:
    return TariffOption(
        Period(days),
        prices if prices is not None else {Currency.RUB: rub(199), Currency.XTR: xtr(100)},
    )


def a_tariff(**overrides: Any) -> Tariff:
    fields: dict[str, Any] = {
        "id": tariff_id(),
        "code": "basic",
        "names": {Language.EN: "Basic", Language.RU: "Базовый"},
        "options": (an_option(30), an_option(90, {Currency.RUB: rub(499)})),
        "binding": PanelBinding(PanelId("rw-main"), squads=("default",)),
        "traffic": TrafficLimit.gib(100),
        "devices": DeviceLimit(3),
    }
    fields.update(overrides)
    return Tariff(**fields)


def a_subscription(
    *,
    now: datetime = NOW,
    days: int = 30,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    tariff: Tariff | None = None,
) -> Subscription:
    """A subscription started ``days`` before ``expires_at = now + days``, then put in
    ``status`` by plain assignment (builders set state; tests exercise transitions)."""
    subscription = Subscription.start(
        id=SubscriptionId(uuid4()),
        customer_id=customer_id(),
        tariff=tariff or a_tariff(),
        period=Period(days),
        now=now,
    )
    subscription.status = status
    return subscription


def an_access(now: datetime = NOW) -> Access:
    return Access.new(
        id=AccessId(uuid4()),
        subscription_id=SubscriptionId(uuid4()),
        customer_id=customer_id(),
        panel_id=PanelId("rw-main"),
        now=now,
    )


def a_quote(total: Money | None = None) -> Quote:
    return make_quote(total or rub(199), tariff_id=tariff_id(), days=30)


def a_payment(quote: Quote | None = None, **overrides: Any) -> Payment:
    fields: dict[str, Any] = {
        "id": PaymentId(uuid4()),
        "customer_id": customer_id(),
        "purpose": PaymentPurpose.NEW,
        "provider": PaymentProvider.YOOKASSA,
        "quote": quote or a_quote(),
        "created_at": NOW,
    }
    fields.update(overrides)
    return Payment(**fields)


def a_promo(**overrides: Any) -> PromoCode:
    fields: dict[str, Any] = {
        "id": PromoCodeId(uuid4()),
        "code": "SPRING-25",
        "kind": PromoKind.PERCENT,
        "percent": Decimal(25),
        "created_at": NOW - 10 * DAY,
    }
    fields.update(overrides)
    return PromoCode(**fields)


def entry_id() -> UUID:
    return uuid4()
