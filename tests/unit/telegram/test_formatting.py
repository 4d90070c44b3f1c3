"""Prices, dates, plurals, traffic: what the customer reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest

from vpnsales.adapters.telegram.formatting import (
    BALANCE_REASON_KEYS,
    FAILURE_REASON_KEYS,
    LANGUAGE_KEYS,
    NBSP,
    PROVIDER_KEYS,
    SUBSCRIPTION_STATUS_KEYS,
    days_left,
    failure_reason,
    format_bytes,
    format_date,
    format_datetime,
    format_days,
    format_devices,
    format_money,
    format_percent,
    format_period,
    format_time_left,
    format_time_until,
    format_traffic_limit,
    format_traffic_usage,
    monthly_price,
)
from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.ports.payments import FailureReason
from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.limits import GIB, DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.subscription import SubscriptionStatus

RU, EN = Language.RU, Language.EN


def s(text: str) -> str:
    """Write expectations with plain spaces; formatting uses no-break spaces."""
    return text.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 день"), (2, "2 дня"), (5, "5 дней"), (11, "11 дней"), (12, "12 дней"),
        (21, "21 день"), (22, "22 дня"), (25, "25 дней"), (101, "101 день"), (111, "111 дней"),
    ],
)  # fmt: skip
def test_russian_day_plurals(ru: Translator, n: int, expected: str) -> None:
    assert format_days(ru, n) == expected


@pytest.mark.parametrize(
    ("key", "arg", "forms"),
    [
        ("months-count", "months", ("месяц", "месяца", "месяцев")),
        ("hours-count", "hours", ("час", "часа", "часов")),
        ("devices-count", "devices", ("устройство", "устройства", "устройств")),
        ("years-count", "years", ("год", "года", "лет")),
        ("people-count", "count", ("друг", "друга", "друзей")),
    ],
)
def test_russian_plurals_of_other_counts(
    ru: Translator, key: str, arg: str, forms: tuple[str, str, str]
) -> None:
    one, few, many = forms
    expected = {1: one, 2: few, 5: many, 11: many, 21: one, 22: few, 25: many}
    for n, form in expected.items():
        assert ru.plain(key, **{arg: n}) == f"{n} {form}"


def test_english_plurals(en: Translator) -> None:
    assert format_days(en, 1) == "1 day"
    assert format_days(en, 2) == "2 days"
    assert format_days(en, 21) == "21 days"
    assert en.plain("devices-count", devices=1) == "1 device"


def test_large_counts_are_grouped(ru: Translator, en: Translator) -> None:
    assert format_days(ru, 1000) == f"1{NBSP}000 дней"
    assert format_days(en, 1000) == "1,000 days"


@pytest.mark.parametrize(
    ("money", "ru", "en"),
    [
        (Money.of(199, "RUB"), "199 ₽", "₽199"),
        (Money.of("1990.50", "RUB"), "1 990,50 ₽", "₽1,990.50"),
        (Money.of("1990.5", "RUB"), "1 990,50 ₽", "₽1,990.50"),
        (Money.of(1_000_000, "RUB"), "1 000 000 ₽", "₽1,000,000"),
        (Money.of("4.99", "USD"), "4,99 $", "$4.99"),
        (Money.of(5, "USD"), "5 $", "$5"),
        (Money.of("9.90", "EUR"), "9,90 €", "€9.90"),
        (Money.of(150, "XTR"), "150 ⭐", "150 ⭐"),
        (Money.of(2500, "XTR"), "2 500 ⭐", "2,500 ⭐"),
        (Money.of("-50", "RUB"), "−50 ₽", "−₽50"),
        (Money.of(0, "RUB"), "0 ₽", "₽0"),
    ],
)
def test_prices(money: Money, ru: str, en: str) -> None:
    assert format_money(money, RU) == s(ru)
    assert format_money(money, EN) == s(en)


def test_signed_prices_for_ledger_lines() -> None:
    assert format_money(Money.of(100, "RUB"), RU, signed=True) == s("+100 ₽")
    assert format_money(Money.of(-100, "RUB"), EN, signed=True) == "−₽100"


def test_percent() -> None:
    assert format_percent(15, RU) == "15%"
    assert format_percent(Decimal("12.5"), RU) == "12,5%"
    assert format_percent(15, EN) == "15%"


def test_monthly_price() -> None:
    assert monthly_price(Money.of(1990, "RUB"), 90) == Money.of("663.33", "RUB")
    assert monthly_price(Money.of(100, "XTR"), 90) == Money.of(34, "XTR")
    assert monthly_price(Money.of(199, "RUB"), 30) == Money.of(199, "RUB")


def spaced(text: str) -> str:
    return text.replace(NBSP, " ")


def test_dates() -> None:
    moment = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    assert format_date(moment, RU) == s("22 ноября 2026")
    assert format_date(moment, EN) == s("22 November 2026")
    assert format_date(date(2026, 5, 1), RU) == s("1 мая 2026")
    assert spaced(format_datetime(moment, RU)) == "22 ноября 2026, 14:05 UTC"
    assert spaced(format_datetime(moment, EN)) == "22 November 2026, 14:05 UTC"


def test_dates_are_shown_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    late = datetime(2026, 1, 1, 1, 30, tzinfo=moscow)  # 31 Dec 22:30 UTC
    assert spaced(format_datetime(late, EN)) == "31 December 2025, 22:30 UTC"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_date(datetime(2026, 1, 1), RU)


def test_days_left_counts_a_started_day() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert days_left(now + timedelta(days=3), now) == 3
    assert days_left(now + timedelta(days=2, hours=1), now) == 3
    assert days_left(now - timedelta(hours=1), now) == 0


def test_periods(ru: Translator, en: Translator) -> None:
    assert format_period(ru, 30) == "1 месяц"
    assert format_period(ru, 90) == "3 месяца"
    assert format_period(ru, 180) == "6 месяцев"
    assert format_period(ru, 365) == "1 год"
    assert format_period(ru, 7) == "7 дней"
    assert format_period(en, 60) == "2 months"
    assert format_period(en, 730) == "2 years"


def test_time_until(ru: Translator, en: Translator) -> None:
    assert format_time_until(ru, 1) == "через час"
    assert format_time_until(ru, 3) == "через 3 часа"
    assert format_time_until(ru, 21) == "через 21 час"
    assert format_time_until(ru, 24) == "завтра"
    assert format_time_until(ru, 72) == "через 3 дня"
    assert format_time_until(en, 1) == "in an hour"
    assert format_time_until(en, 12) == "in 12 hours"
    assert format_time_until(en, 168) == "in 7 days"
    assert format_time_until(en, 0) == "very soon"


def test_traffic(ru: Translator, en: Translator) -> None:
    assert format_bytes(en, 12 * GIB + GIB // 3) == "12.3 GB"
    assert format_bytes(ru, 12 * GIB + GIB // 3) == "12,3 ГБ"
    assert format_bytes(en, 50 * GIB) == "50 GB"
    assert format_bytes(en, 512 * 1024**2) == "512 MB"
    assert format_bytes(en, 0) == "0 MB"
    assert format_traffic_limit(ru, TrafficLimit.unlimited()) == "безлимит"
    assert format_traffic_limit(en, TrafficLimit.unlimited()) == "unlimited"
    assert format_traffic_limit(en, TrafficLimit.gib(100)) == "100 GB per month"
    assert format_traffic_limit(ru, TrafficLimit.gib(100)) == "100 ГБ в месяц"
    no_reset = TrafficLimit.gib(50, TrafficResetStrategy.NO_RESET)
    assert format_traffic_limit(en, no_reset) == "50 GB"
    assert format_traffic_usage(en, 3 * GIB, TrafficLimit.gib(100)) == "3 GB of 100 GB"
    assert format_traffic_usage(ru, 3 * GIB, TrafficLimit.unlimited()) == "3 ГБ (безлимит)"


def test_devices(ru: Translator, en: Translator) -> None:
    assert format_devices(ru, DeviceLimit(3)) == "3 устройства"
    assert format_devices(en, DeviceLimit(1)) == "1 device"
    assert format_devices(en, DeviceLimit()) == "unlimited devices"


def test_every_enum_value_has_a_label(translator: Translator) -> None:
    pairs: list[tuple[Mapping[Any, str], type[Enum]]] = [
        (SUBSCRIPTION_STATUS_KEYS, SubscriptionStatus),
        (FAILURE_REASON_KEYS, FailureReason),
        (BALANCE_REASON_KEYS, BalanceReason),
        (PROVIDER_KEYS, PaymentProvider),
        (LANGUAGE_KEYS, Language),
    ]
    for mapping, enum in pairs:
        assert set(mapping) == set(enum), enum
        for key in mapping.values():
            assert translator.plain(key)


def test_failure_reason_tolerates_unknown_values(en: Translator) -> None:
    unknown = en.plain("payment-failed-reason-unknown")
    assert failure_reason(en, "something_new") == unknown
    assert failure_reason(en, None) == unknown
    assert failure_reason(en, "insufficient_funds") != unknown


def test_time_left(ru: Translator, en: Translator) -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert format_time_left(ru, now + timedelta(days=21), now) == "21 день"
    assert format_time_left(ru, now + timedelta(hours=5), now) == "меньше суток"
    assert format_time_left(en, now + timedelta(days=1, hours=1), now) == "2 days"
    assert format_time_left(en, now - timedelta(days=1), now) == "0 days"
