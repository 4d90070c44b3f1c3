"""Typed callback data of the admin panel. Every prefix starts with ``adm`` so the
whole family is easy to enumerate (the access tests press every one as a customer).

Ids are shortened like the customer bot's (``short_id``: 22 characters); Telegram ids
travel as integers. Nothing here is trusted: the router filter checks the presser is
an admin, the interactors check the role and that the objects exist.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from vpnsales.entrypoints.bot.routing import FastFilter


class Screen(StrEnum):
    MENU = "m"
    STATS = "s"
    TARIFFS = "t"
    NEW_TARIFF = "nt"
    PROMOS = "p"
    FIND = "f"
    BROADCAST = "b"
    MAINTENANCE = "mt"
    MAINTENANCE_ON = "m1"
    MAINTENANCE_OFF = "m0"
    PANELS = "h"
    CANCEL = "x"


class AdmNav(FastFilter, CallbackData, prefix="adm"):
    to: Screen


class TariffAction(StrEnum):
    VIEW = "v"
    HIDE = "h"
    SHOW = "s"
    EDIT = "e"


class TariffField(StrEnum):
    NONE = ""
    NAMES = "n"
    DESCRIPTIONS = "d"
    OPTIONS = "o"
    LIMITS = "l"
    BINDING = "b"
    AVAILABILITY = "a"
    ORDER = "r"


class AdmTariff(FastFilter, CallbackData, prefix="admt"):
    action: TariffAction
    tariff: str
    """``short_id`` of the tariff."""
    field: TariffField = TariffField.NONE


class PromoAction(StrEnum):
    NEW = "n"
    DEACTIVATE = "d"


class AdmPromo(FastFilter, CallbackData, prefix="admp"):
    action: PromoAction
    arg: str = ""
    """The kind for NEW, the code for DEACTIVATE."""


class CustomerAction(StrEnum):
    VIEW = "v"
    BAN = "b"
    UNBAN = "u"
    GRANT = "g"
    TAKE = "t"
    RESYNC = "r"
    MESSAGE = "m"
    REFUND = "f"
    REFUND_CONFIRM = "F"
    TOPIC_CLOSE = "c"
    TOPIC_REOPEN = "o"


class AdmCustomer(FastFilter, CallbackData, prefix="admc"):
    action: CustomerAction
    customer: int
    """Telegram id."""
    arg: str = ""
    """``short_id`` of a payment (refund)."""


class BroadcastAction(StrEnum):
    AUDIENCE = "a"
    TARIFF_AUDIENCE = "ta"
    SKIP = "k"
    CONFIRM = "c"
    START = "s"
    CANCEL = "x"
    REFRESH = "r"
    DISCARD = "d"


class AdmBroadcast(FastFilter, CallbackData, prefix="admb"):
    action: BroadcastAction
    ref: str = ""
    """The audience kind, a tariff's or the broadcast's ``short_id``."""


ADMIN_CALLBACKS: tuple[type[CallbackData], ...] = (
    AdmNav,
    AdmTariff,
    AdmPromo,
    AdmCustomer,
    AdmBroadcast,
)

__all__ = [
    "ADMIN_CALLBACKS",
    "AdmBroadcast",
    "AdmCustomer",
    "AdmNav",
    "AdmPromo",
    "AdmTariff",
    "BroadcastAction",
    "CustomerAction",
    "PromoAction",
    "Screen",
    "TariffAction",
    "TariffField",
]
