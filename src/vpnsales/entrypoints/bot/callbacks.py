"""Typed callback data of the bot's inline buttons.

Prefixes are one or two letters and ids are shortened (a UUID becomes 22 base64url
characters), so every packed value stays well under Telegram's 64-byte limit. Unpacking
never trusts the data: a malformed id parses to ``None`` and the handler answers
gracefully; ownership is checked by the interactors.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from uuid import UUID

from aiogram.filters.callback_data import CallbackData

from vpnsales.domain.payment import PaymentProvider, PaymentPurpose
from vpnsales.entrypoints.bot.routing import FastFilter

MAX_CALLBACK_BYTES = 64


def short_id(value: UUID) -> str:
    """A UUID as 22 URL-safe characters (no padding, no ``:``)."""
    return base64.urlsafe_b64encode(value.bytes).rstrip(b"=").decode("ascii")


def parse_short_id(text: str) -> UUID | None:
    """The UUID :func:`short_id` made, or ``None`` for anything else (never raises)."""
    if len(text) != 22:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        return None
    return UUID(bytes=raw) if len(raw) == 16 else None


def parse_hex_id(text: str) -> UUID | None:
    """A UUID from 32 hex digits (the notifier's buttons), ``None`` when malformed."""
    if len(text) != 32:
        return None
    try:
        return UUID(hex=text)
    except ValueError:
        return None


class Screen(StrEnum):
    MENU = "m"
    CATALOG = "b"
    SUBSCRIPTIONS = "s"
    TRIAL = "t"
    PROMO = "p"
    REFERRAL = "r"
    BALANCE = "bl"
    TOP_UP = "tu"
    SUPPORT = "h"
    FAQ = "f"
    LANGUAGE = "l"
    CANCEL = "x"


class Nav(FastFilter, CallbackData, prefix="n"):
    """Open a screen of the menu."""

    to: Screen


class Purpose(StrEnum):
    NEW = "n"
    RENEWAL = "r"
    PLAN_CHANGE = "c"

    @property
    def payment_purpose(self) -> PaymentPurpose:
        return _PURPOSES[self]


_PURPOSES = {
    Purpose.NEW: PaymentPurpose.NEW,
    Purpose.RENEWAL: PaymentPurpose.RENEWAL,
    Purpose.PLAN_CHANGE: PaymentPurpose.PLAN_CHANGE,
}


class Method(StrEnum):
    CARD = "y"
    CRYPTO = "c"
    STARS = "s"
    BALANCE = "b"
    NONE = ""

    @property
    def provider(self) -> PaymentProvider | None:
        return _PROVIDERS.get(self)

    @classmethod
    def of(cls, provider: PaymentProvider) -> Method:
        return next(m for m, p in _PROVIDERS.items() if p is provider)


_PROVIDERS = {
    Method.CARD: PaymentProvider.YOOKASSA,
    Method.CRYPTO: PaymentProvider.CRYPTOPAY,
    Method.STARS: PaymentProvider.STARS,
    Method.BALANCE: PaymentProvider.BALANCE,
}


class Step(StrEnum):
    TARIFF = "t"
    """The tariff card with its periods."""
    METHODS = "d"
    """A period was chosen: the order summary and payment methods."""
    PAY = "k"
    """A method was chosen: create the payment."""
    PROMO = "pa"
    """Enter a promo code for this order."""
    DROP_PROMO = "pd"


class Order(FastFilter, CallbackData, prefix="o"):
    """One step of the purchase funnel; carries the whole order (the promo code, being
    free text, is kept in the FSM data instead)."""

    step: Step
    code: str
    days: int = 0
    purpose: Purpose = Purpose.NEW
    sub: str = ""
    """``short_id`` of the subscription renewed or changed."""
    method: Method = Method.NONE


class SubAction(StrEnum):
    VIEW = "v"
    LINK = "l"
    QR = "q"
    RESET = "r"
    RESET_CONFIRM = "R"
    RENEW = "n"
    CHANGE_PLAN = "c"
    GUIDES = "g"


class Sub(FastFilter, CallbackData, prefix="s"):
    action: SubAction
    sub: str
    """``short_id`` of the subscription."""


class Lang(FastFilter, CallbackData, prefix="l"):
    code: str


class TopUp(FastFilter, CallbackData, prefix="u"):
    amount: int
    method: Method = Method.NONE


__all__ = [
    "MAX_CALLBACK_BYTES",
    "Lang",
    "Method",
    "Nav",
    "Order",
    "Purpose",
    "Screen",
    "Step",
    "Sub",
    "SubAction",
    "TopUp",
    "parse_hex_id",
    "parse_short_id",
    "short_id",
]
