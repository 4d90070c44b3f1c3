"""Builders for test data: sensible defaults, keyword overrides.

tariff = a_tariff(code="pro", rub=399, days=30)
customer = a_customer(telegram_id=42, balance=Money.of(100, "RUB"))
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from vpnsales.domain.customer import Customer, Language
from vpnsales.domain.ids import (
    CustomerId,
    PanelId,
    PromoCodeId,
    SubscriptionId,
    TariffId,
    TelegramId,
)
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.promo import PromoCode, PromoKind
from vpnsales.domain.subscription import Subscription, SubscriptionStatus
from vpnsales.domain.tariff import Availability, PanelBinding, Tariff, TariffOption
from vpnsales.testing.clock import DEFAULT_START

DEFAULT_PANEL = PanelId("panel-1")
_telegram_ids = itertools.count(100_000)
_codes = itertools.count(1)


def rub(amount: int | str | Decimal) -> Money:
    return Money.of(amount, Currency.RUB)


def stars(amount: int) -> Money:
    return Money.of(amount, Currency.XTR)


def a_customer(
    *,
    id: UUID | None = None,
    telegram_id: int | None = None,
    created_at: datetime = DEFAULT_START,
    balance: Money | int | None = None,
    referral_code: str | None = None,
    **overrides: Any,
) -> Customer:
    cid = CustomerId(id or uuid4())
    if isinstance(balance, int):
        balance = rub(balance)
    return Customer(
        id=cid,
        telegram_id=TelegramId(telegram_id if telegram_id is not None else next(_telegram_ids)),
        created_at=created_at,
        referral_code=referral_code if referral_code is not None else cid.hex[:8],
        balance=balance or Money.zero(Currency.RUB),
        **overrides,
    )


def an_option(
    days: int = 30,
    *,
    rub: int | str | Decimal | None = 300,
    usd: int | str | Decimal | None = None,
    xtr: int | None = None,
    prices: Mapping[Currency, Money] | None = None,
) -> TariffOption:
    if prices is None:
        built: dict[Currency, Money] = {}
        if rub is not None:
            built[Currency.RUB] = Money.of(rub, Currency.RUB)
        if usd is not None:
            built[Currency.USD] = Money.of(usd, Currency.USD)
        if xtr is not None:
            built[Currency.XTR] = Money.of(xtr, Currency.XTR)
        prices = built
    return TariffOption(Period(days), prices)


def a_tariff(
    *,
    id: UUID | None = None,
    code: str | None = None,
    name: str | None = None,
    days: int = 30,
    rub: int | str | Decimal | None = 300,
    xtr: int | None = None,
    options: tuple[TariffOption, ...] | None = None,
    panel: str = DEFAULT_PANEL,
    binding: PanelBinding | None = None,
    traffic: TrafficLimit | None = None,
    devices: DeviceLimit | None = None,
    availability: Availability = Availability.EVERYONE,
    **overrides: Any,
) -> Tariff:
    code = code or f"tariff-{next(_codes)}"
    return Tariff(
        id=TariffId(id or uuid4()),
        code=code,
        names={Language.EN: name or code.title(), Language.RU: name or code.title()},
        options=options or (an_option(days, rub=rub, xtr=xtr),),
        binding=binding or PanelBinding(PanelId(panel)),
        traffic=traffic or TrafficLimit.gib(100),
        devices=devices or DeviceLimit(3),
        availability=availability,
        **overrides,
    )


def a_trial_tariff(
    *, code: str = "trial", days: int = 3, panel: str = DEFAULT_PANEL, **overrides: Any
) -> Tariff:
    return a_tariff(
        code=code,
        name="Trial",
        options=(an_option(days, rub=0),),
        panel=panel,
        is_trial=True,
        traffic=overrides.pop("traffic", TrafficLimit.gib(10)),
        **overrides,
    )


def a_subscription(
    *,
    customer: Customer | None = None,
    customer_id: UUID | None = None,
    tariff: Tariff | None = None,
    days: int = 30,
    now: datetime = DEFAULT_START,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    expires_at: datetime | None = None,
    **overrides: Any,
) -> Subscription:
    tariff = tariff or a_tariff()
    owner = CustomerId(customer.id if customer else (customer_id or uuid4()))
    sub = Subscription.start(
        id=SubscriptionId(uuid4()),
        customer_id=owner,
        tariff=tariff,
        period=Period(days),
        now=now,
    )
    sub.status = status
    if expires_at is not None:
        sub.expires_at = expires_at
    for name, value in overrides.items():
        setattr(sub, name, value)
    return sub


def a_promo(
    code: str = "SAVE10",
    *,
    kind: PromoKind = PromoKind.PERCENT,
    percent: int | str | Decimal | None = None,
    amount: Money | int | None = None,
    days: int | None = None,
    created_at: datetime = DEFAULT_START,
    valid_for: timedelta | None = None,
    **overrides: Any,
) -> PromoCode:
    if kind is PromoKind.PERCENT and percent is None:
        percent = 10
    if kind in (PromoKind.FIXED, PromoKind.BALANCE_CREDIT) and amount is None:
        amount = 50
    if kind in (PromoKind.BONUS_DAYS, PromoKind.TRIAL_EXTENSION) and days is None:
        days = 7
    if isinstance(amount, int):
        amount = rub(amount)
    if valid_for is not None:
        overrides.setdefault("valid_until", created_at + valid_for)
    return PromoCode(
        id=PromoCodeId(uuid4()),
        code=code,
        kind=kind,
        created_at=created_at,
        percent=Decimal(percent) if percent is not None else None,
        amount=amount,
        days=days,
        **overrides,
    )
