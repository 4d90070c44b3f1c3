"""Locale-aware values for customer texts: prices, dates, periods, traffic, labels.

Conventions (ru / en):

- money: ``199 ₽``, ``1 990,50 ₽``, ``4,99 $`` / ``₽199``, ``₽1,990.50``, ``$4.99``;
  Stars ``150 ⭐`` in both. Whole amounts drop ``,00``. Russian uses no-break spaces
  (``NBSP``) for thousands and before the sign, so a price never wraps in a bubble.
- dates: ``22 ноября 2026`` / ``22 November 2026`` (no-break spaces); with time
  ``22 ноября 2026, 14:05 UTC`` (always shown in UTC, which the texts say).
- counts with plurals (days, months, devices…) come from Fluent selectors in the
  ``.ftl`` files (``days-count`` etc.), so Russian gets 1 день / 2 дня / 5 дней.
- traffic: ``12,3 ГБ`` / ``12.3 GB`` (one decimal, none when whole), below 1 GB in MB;
  ``0`` limit = ``безлимит`` / ``unlimited``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from vpnsales.adapters.telegram.i18n import Translator, msgid
from vpnsales.application.ports.payments import FailureReason
from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.limits import GIB, DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.subscription import SubscriptionStatus

NBSP = "\u00a0"
MINUS = "\u2212"
MIB = 1024**2

_SYMBOLS: Mapping[Currency, str] = {
    Currency.RUB: "₽",
    Currency.USD: "$",
    Currency.EUR: "€",
    Currency.XTR: "⭐",
}

_MONTHS: Mapping[Language, tuple[str, ...]] = {
    Language.RU: (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    Language.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

_RU_NUMBER = str.maketrans({",": NBSP, ".": ","})


# -- numbers and money -----------------------------------------------------------------
def format_number(value: Decimal | int, language: Language, *, decimals: int = 0) -> str:
    """``1 990,50`` (ru, no-break space) / ``1,990.50`` (en)."""
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{quantized:,.{decimals}f}"
    return text.translate(_RU_NUMBER) if language is Language.RU else text


def format_money(money: Money, language: Language, *, signed: bool = False) -> str:
    """A price as a customer reads it; ``signed`` adds ``+`` to credits (ledger lines)."""
    amount = money.amount
    sign = MINUS if amount < 0 else ("+" if signed and amount > 0 else "")
    decimals = 0 if amount == amount.to_integral_value() else money.currency.exponent
    number = format_number(abs(amount), language, decimals=decimals)
    symbol = _SYMBOLS[money.currency]
    if money.currency is Currency.XTR or language is Language.RU:
        return f"{sign}{number}{NBSP}{symbol}"
    return f"{sign}{symbol}{number}"


def format_percent(value: Decimal | int, language: Language) -> str:
    """``15%``, ``12,5%`` (ru) / ``12.5%`` (en): up to one decimal when not whole."""
    number = Decimal(value)
    decimals = 0 if number == number.to_integral_value() else 1
    return f"{format_number(number, language, decimals=decimals)}%"


def monthly_price(price: Money, days: int) -> Money:
    """The price of ``days`` brought to 30 days (rounded by the currency's rule)."""
    if days <= 0:
        raise ValueError("days must be positive")
    return Money.of(price.amount * 30 / Decimal(days), price.currency)


# -- dates -----------------------------------------------------------------------------
def format_date(value: datetime | date, language: Language, *, with_time: bool = False) -> str:
    """``22 ноября 2026`` / ``22 November 2026`` (+ ``, 14:05 UTC`` with ``with_time``)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("datetime must be timezone-aware")
        value = value.astimezone(UTC)
    text = f"{value.day}{NBSP}{_MONTHS[language][value.month - 1]}{NBSP}{value.year}"
    if with_time and isinstance(value, datetime):
        text += f", {value:%H:%M}{NBSP}UTC"
    return text


def format_datetime(value: datetime, language: Language) -> str:
    return format_date(value, language, with_time=True)


def parse_iso(value: str) -> datetime:
    """An ISO-8601 timestamp (as in ``AccessCard.expires_at_iso``), made aware (UTC)."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until ``expires_at``, counting a started day as one (0 when past)."""
    seconds = (expires_at - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def format_time_left(t: Translator, expires_at: datetime, now: datetime) -> str:
    """``5 дней`` / ``5 days`` (a started day counts), or ``less than a day``."""
    seconds = (expires_at - now).total_seconds()
    if 0 < seconds < 86400:
        return t.plain("time-left-less-than-day")
    return format_days(t, days_left(expires_at, now))


# -- counts (Fluent plurals) -----------------------------------------------------------
def format_days(t: Translator, days: int) -> str:
    return t.plain("days-count", days=days)


def format_period(t: Translator, days: int) -> str:
    """A bought period: whole years / 30-day months read as such, else days."""
    if days >= 365 and days % 365 == 0:
        return t.plain("years-count", years=days // 365)
    if days >= 30 and days % 30 == 0:
        return t.plain("months-count", months=days // 30)
    return t.plain("days-count", days=days)


def format_time_until(t: Translator, hours: int) -> str:
    """``через 3 часа`` / ``in 3 hours``; ``завтра`` / ``tomorrow``; ``через 3 дня``…"""
    if hours < 1:
        return t.plain("when-soon")
    if hours < 24:
        return t.plain("when-in-hours", hours=hours)
    if hours < 48:
        return t.plain("when-tomorrow")
    return t.plain("when-in-days", days=round(hours / 24))


# -- traffic and devices ---------------------------------------------------------------
def format_bytes(t: Translator, amount: int) -> str:
    """``12,3 ГБ`` / ``12.3 GB``; under 1 GB in whole MB."""
    language = t.language
    if amount < GIB:
        return t.plain("unit-mb", amount=format_number(math.ceil(amount / MIB), language))
    gb = Decimal(amount) / GIB
    decimals = 0 if gb == gb.to_integral_value() else 1
    return t.plain("unit-gb", amount=format_number(gb, language, decimals=decimals))


_RESET_KEYS: Mapping[TrafficResetStrategy, str] = {
    TrafficResetStrategy.DAY: msgid("traffic-per-day"),
    TrafficResetStrategy.WEEK: msgid("traffic-per-week"),
    TrafficResetStrategy.MONTH: msgid("traffic-per-month"),
    TrafficResetStrategy.MONTH_ROLLING: msgid("traffic-per-month"),
}


def format_traffic_limit(t: Translator, limit: TrafficLimit) -> str:
    """``100 GB per month``, ``50 GB`` (no reset) or ``unlimited``."""
    if limit.is_unlimited:
        return t.plain("traffic-unlimited")
    amount = format_bytes(t, limit.bytes)
    key = _RESET_KEYS.get(limit.reset)
    return t.plain(key, amount=amount) if key else amount


def format_traffic_usage(t: Translator, used: int, limit: TrafficLimit) -> str:
    """``12.3 GB of 100 GB`` or ``12.3 GB (unlimited)``."""
    if limit.is_unlimited:
        return t.plain("traffic-used-unlimited", used=format_bytes(t, used))
    return t.plain(
        "traffic-used-of", used=format_bytes(t, used), limit=format_bytes(t, limit.bytes)
    )


def format_devices(t: Translator, limit: DeviceLimit) -> str:
    if limit.count is None:
        return t.plain("devices-unlimited")
    return t.plain("devices-count", devices=limit.count)


# -- labels for our enums --------------------------------------------------------------
SUBSCRIPTION_STATUS_KEYS: Mapping[SubscriptionStatus, str] = {
    SubscriptionStatus.ACTIVE: msgid("status-active"),
    SubscriptionStatus.EXPIRED: msgid("status-expired"),
    SubscriptionStatus.SUSPENDED: msgid("status-suspended"),
    SubscriptionStatus.CANCELLED: msgid("status-cancelled"),
}

FAILURE_REASON_KEYS: Mapping[FailureReason, str] = {
    FailureReason.DECLINED: msgid("payment-failed-reason-declined"),
    FailureReason.INSUFFICIENT_FUNDS: msgid("payment-failed-reason-insufficient-funds"),
    FailureReason.EXPIRED: msgid("payment-failed-reason-expired"),
    FailureReason.CANCELED_BY_CUSTOMER: msgid("payment-failed-reason-canceled-by-customer"),
    FailureReason.CANCELED_BY_MERCHANT: msgid("payment-failed-reason-canceled-by-merchant"),
    FailureReason.FRAUD_SUSPECTED: msgid("payment-failed-reason-fraud-suspected"),
    FailureReason.AUTHENTICATION_FAILED: msgid("payment-failed-reason-authentication-failed"),
    FailureReason.CARD_EXPIRED: msgid("payment-failed-reason-card-expired"),
    FailureReason.UNKNOWN: msgid("payment-failed-reason-unknown"),
}

BALANCE_REASON_KEYS: Mapping[BalanceReason, str] = {
    BalanceReason.REFERRAL_REWARD: msgid("balance-reason-referral-reward"),
    BalanceReason.REFUND: msgid("balance-reason-refund"),
    BalanceReason.PURCHASE: msgid("balance-reason-purchase"),
    BalanceReason.TOP_UP: msgid("balance-reason-top-up"),
    BalanceReason.PROMO_CREDIT: msgid("balance-reason-promo-credit"),
    BalanceReason.ADMIN_GRANT: msgid("balance-reason-admin-grant"),
    BalanceReason.ADMIN_DEBIT: msgid("balance-reason-admin-debit"),
}

PROVIDER_KEYS: Mapping[PaymentProvider, str] = {
    PaymentProvider.YOOKASSA: msgid("provider-yookassa"),
    PaymentProvider.STARS: msgid("provider-stars"),
    PaymentProvider.CRYPTOPAY: msgid("provider-cryptopay"),
    PaymentProvider.BALANCE: msgid("provider-balance"),
}

LANGUAGE_KEYS: Mapping[Language, str] = {
    Language.RU: msgid("language-name-ru"),
    Language.EN: msgid("language-name-en"),
}


def subscription_status(t: Translator, status: SubscriptionStatus) -> str:
    return t.plain(SUBSCRIPTION_STATUS_KEYS[status])


def failure_reason(t: Translator, reason: FailureReason | str | None) -> str:
    """Why a payment failed; unknown or missing reasons read as "unknown"."""
    try:
        key = FAILURE_REASON_KEYS[FailureReason(reason or FailureReason.UNKNOWN)]
    except ValueError:
        key = FAILURE_REASON_KEYS[FailureReason.UNKNOWN]
    return t.plain(key)


def balance_reason(t: Translator, reason: BalanceReason) -> str:
    return t.plain(BALANCE_REASON_KEYS[reason])


def provider_name(t: Translator, provider: PaymentProvider) -> str:
    return t.plain(PROVIDER_KEYS[provider])


def language_name(t: Translator, language: Language) -> str:
    return t.plain(LANGUAGE_KEYS[language])


__all__ = [
    "BALANCE_REASON_KEYS",
    "FAILURE_REASON_KEYS",
    "LANGUAGE_KEYS",
    "MINUS",
    "NBSP",
    "PROVIDER_KEYS",
    "SUBSCRIPTION_STATUS_KEYS",
    "balance_reason",
    "days_left",
    "failure_reason",
    "format_bytes",
    "format_date",
    "format_datetime",
    "format_days",
    "format_devices",
    "format_money",
    "format_number",
    "format_percent",
    "format_period",
    "format_time_left",
    "format_time_until",
    "format_traffic_limit",
    "format_traffic_usage",
    "language_name",
    "monthly_price",
    "parse_iso",
    "provider_name",
    "subscription_status",
]
