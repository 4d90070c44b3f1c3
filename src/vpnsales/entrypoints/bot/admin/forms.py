"""Parsing what an admin types into command fields. Syntax only: the domain validates
(a malformed line raises ``InvalidValue`` with a message the admin is shown).

Tariffs are written as ``key: value`` lines; creating needs ``code``, a name and
``options``, editing takes any subset::

    code: basic
    name ru: Базовый
    name en: Basic
    description en: Fast servers in NL and DE
    options: 30 = 300 RUB, 170 XTR; 90 = 810 RUB, 450 XTR
    traffic: 100 GB MONTH            (or: unlimited)
    devices: 3                       (or: unlimited)
    panel: rw
    squads: 6f1c…, 0b2d…
    inbounds: 1, 2
    locations: NL, DE
    availability: everyone           (new_customers | hidden_link)
    order: 1

Promo codes: ``CODE VALUE [uses=N] [per=N] [days=N] [until=YYYY-MM-DD] [first]`` where
VALUE is a percent (``15``), an amount (``100 RUB``) or days (``7``) by the kind.
A button: ``Button text | https://example.com``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from vpnsales.application.ports.broadcast import BroadcastButton
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.ids import PanelId
from vpnsales.domain.limits import GIB, DeviceLimit, Period, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import Availability, PanelBinding, TariffOption

_LINE = re.compile(r"^\s*([a-zA-Z_ ]+?)\s*:\s*(.*?)\s*$")
_PRICE = re.compile(r"^\s*([0-9]+(?:[.][0-9]+)?)\s*([A-Za-z]{3})\s*$")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ".").strip())
    except InvalidOperation:
        raise InvalidValue(f"not a number: {text!r}") from None


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidValue(f"{what} must be a whole number") from None


def parse_money(text: str) -> Money:
    match = _PRICE.match(text)
    if not match:
        raise InvalidValue(f"a price looks like '300 RUB' or '170 XTR', not {text!r}")
    try:
        currency = Currency(match.group(2).upper())
    except ValueError:
        raise InvalidValue(f"unknown currency {match.group(2)!r}") from None
    return Money.of(_decimal(match.group(1)), currency)


def parse_options(text: str) -> tuple[TariffOption, ...]:
    """``30 = 300 RUB, 170 XTR; 90 = 810 RUB``."""
    options: list[TariffOption] = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        days, _, prices = chunk.partition("=")
        if not prices:
            raise InvalidValue(f"an option looks like '30 = 300 RUB, 170 XTR', not {chunk!r}")
        moneys = [parse_money(p) for p in prices.split(",") if p.strip()]
        options.append(
            TariffOption(period=Period(_int(days, "days")), prices={m.currency: m for m in moneys})
        )
    if not options:
        raise InvalidValue("at least one option is needed")
    return tuple(options)


def parse_traffic(text: str) -> TrafficLimit:
    """``unlimited`` or ``100 GB [MONTH|WEEK|DAY|NO_RESET|MONTH_ROLLING]``."""
    words = text.replace(",", " ").split()
    if not words or words[0].lower() in ("unlimited", "0", "∞"):
        return TrafficLimit.unlimited()
    amount = _decimal(words[0])
    rest = [w.upper() for w in words[1:] if w.upper() not in ("GB", "GIB")]
    try:
        reset = TrafficResetStrategy(rest[0]) if rest else TrafficResetStrategy.MONTH
    except ValueError:
        raise InvalidValue(f"unknown traffic reset {rest[0]!r}") from None
    return TrafficLimit(int(amount * GIB), reset)


def parse_devices(text: str) -> DeviceLimit:
    if text.strip().lower() in ("unlimited", "0", "∞", ""):
        return DeviceLimit()
    return DeviceLimit(_int(text, "devices"))


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


@dataclass
class TariffSpec:
    """The fields an admin wrote (``None``: not written)."""

    code: str | None = None
    names: dict[Language, str] = field(default_factory=dict)
    descriptions: dict[Language, str] = field(default_factory=dict)
    options: tuple[TariffOption, ...] | None = None
    traffic: TrafficLimit | None = None
    devices: DeviceLimit | None = None
    panel: str | None = None
    squads: tuple[str, ...] | None = None
    inbounds: tuple[int, ...] | None = None
    locations: tuple[str, ...] | None = None
    availability: Availability | None = None
    order: int | None = None

    def binding(self, current: PanelBinding | None = None) -> PanelBinding | None:
        if self.panel is None and self.squads is None and self.inbounds is None:
            return None
        panel = self.panel or (current.panel if current else None)
        if not panel:
            raise InvalidValue("the tariff needs a panel")
        return PanelBinding(
            panel=PanelId(panel),
            squads=self.squads if self.squads is not None else (current.squads if current else ()),
            inbounds=self.inbounds
            if self.inbounds is not None
            else (current.inbounds if current else ()),
        )

    def update_fields(self, current: PanelBinding | None = None) -> dict[str, Any]:
        """Keyword arguments for ``UpdateTariffCommand`` (written fields only)."""
        values: dict[str, Any] = {
            "names": self.names or None,
            "descriptions": self.descriptions or None,
            "options": self.options,
            "binding": self.binding(current),
            "traffic": self.traffic,
            "devices": self.devices,
            "locations": self.locations,
            "availability": self.availability,
            "order": self.order,
        }
        return {k: v for k, v in values.items() if v is not None}


def parse_tariff_spec(text: str) -> TariffSpec:
    spec = TariffSpec()
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if not match:
            raise InvalidValue(f"a line looks like 'key: value', not {raw.strip()!r}")
        key, value = " ".join(match.group(1).lower().split()), match.group(2)
        head, _, lang = key.partition(" ")
        if head in ("name", "description"):
            try:
                language = Language(lang or "en")
            except ValueError:
                raise InvalidValue(f"unknown language {lang!r}") from None
            (spec.names if head == "name" else spec.descriptions)[language] = value
        elif key == "code":
            spec.code = value.lower()
        elif key == "options":
            spec.options = parse_options(value)
        elif key == "traffic":
            spec.traffic = parse_traffic(value)
        elif key == "devices":
            spec.devices = parse_devices(value)
        elif key == "panel":
            spec.panel = value
        elif key == "squads":
            spec.squads = _list(value)
        elif key == "inbounds":
            spec.inbounds = tuple(_int(i, "inbound") for i in _list(value))
        elif key == "locations":
            spec.locations = _list(value)
        elif key == "availability":
            try:
                spec.availability = Availability(value.lower())
            except ValueError:
                raise InvalidValue(f"unknown availability {value!r}") from None
        elif key == "order":
            spec.order = _int(value, "order")
        else:
            raise InvalidValue(f"unknown field {key!r}")
    return spec


@dataclass(frozen=True, slots=True)
class PromoSpec:
    code: str
    percent: Decimal | None = None
    amount: Money | None = None
    days: int | None = None
    max_uses: int | None = None
    max_uses_per_customer: int = 1
    valid_until: datetime | None = None
    first_purchase_only: bool = False


def parse_promo(kind: PromoKind, text: str) -> PromoSpec:
    words = text.split()
    if len(words) < 2:
        raise InvalidValue("write the code and its value, e.g. 'SPRING 15'")
    code, rest = words[0], words[1:]
    options = {w.partition("=")[0].lower(): w.partition("=")[2] for w in rest if "=" in w}
    plain = [w for w in rest if "=" not in w]
    first = any(w.lower() == "first" for w in plain)
    plain = [w for w in plain if w.lower() != "first"]
    percent = amount = days = None
    if kind is PromoKind.PERCENT:
        percent = _decimal(plain[0] if plain else "")
    elif kind in (PromoKind.FIXED, PromoKind.BALANCE_CREDIT):
        amount = parse_money(" ".join(plain[:2]))
    else:
        days = _int(plain[0] if plain else "", "days")
    until = None
    if "until" in options:
        try:
            until = datetime.combine(
                datetime.strptime(options["until"], "%Y-%m-%d").date(), time(), tzinfo=UTC
            )
        except ValueError:
            raise InvalidValue("until must be YYYY-MM-DD") from None
    return PromoSpec(
        code=code,
        percent=percent,
        amount=amount,
        days=days,
        max_uses=_int(options["uses"], "uses") if "uses" in options else None,
        max_uses_per_customer=_int(options["per"], "per") if "per" in options else 1,
        valid_until=until,
        first_purchase_only=first,
    )


def parse_button(text: str) -> BroadcastButton:
    label, sep, url = text.partition("|")
    if not sep:
        raise InvalidValue("a button looks like 'Button text | https://example.com'")
    return BroadcastButton(text=label.strip(), url=url.strip())


def parse_days(text: str) -> int:
    days = _int(text, "days")
    if not 0 < days <= 3660:
        raise InvalidValue("days must be between 1 and 3660")
    return days


__all__ = [
    "PromoSpec",
    "TariffSpec",
    "parse_button",
    "parse_days",
    "parse_money",
    "parse_options",
    "parse_promo",
    "parse_tariff_spec",
]
