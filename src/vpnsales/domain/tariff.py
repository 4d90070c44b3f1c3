"""Tariff: what is sold. Options (duration + prices per currency), limits, panel binding."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from vpnsales.domain.customer import Customer, Language
from vpnsales.domain.errors import (
    InvalidValue,
    OptionUnavailable,
    PriceUnavailable,
    TariffUnavailable,
)
from vpnsales.domain.ids import PanelId, TariffId
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.money import Currency, Money

_SLUG = re.compile(r"^[a-z0-9_-]{1,32}$")


class Availability(StrEnum):
    EVERYONE = "everyone"
    NEW_CUSTOMERS = "new_customers"
    """Only customers who never bought anything."""
    HIDDEN_LINK = "hidden_link"
    """Not in the catalog; reachable by its deep link only."""


@dataclass(frozen=True, slots=True)
class TariffOption:
    """One purchasable duration of a tariff with its prices."""

    period: Period
    prices: Mapping[Currency, Money]

    def __post_init__(self) -> None:
        prices = dict(self.prices)
        for currency, price in prices.items():
            if price.currency is not currency:
                raise InvalidValue("price currency differs from its key")
            if price.is_negative:
                raise InvalidValue("price must not be negative")
        object.__setattr__(self, "prices", prices)

    @property
    def days(self) -> int:
        return self.period.days

    def price(self, currency: Currency) -> Money:
        try:
            return self.prices[currency]
        except KeyError:
            raise PriceUnavailable(f"no {currency} price for {self.days} days") from None

    def price_per_month(self, currency: Currency) -> Money:
        """Price normalised to 30 days (for the catalog's comparison line)."""
        # Multiply before dividing: 30/13 rounded to 28 digits would push an exact
        # result (169 XTR per 13 days = 390/month) over the integer and ceil it to 391.
        return Money.of(self.price(currency).amount * 30 / Decimal(self.days), currency)

    def daily_value(self, currency: Currency) -> Decimal:
        return self.price(currency).amount / Decimal(self.days)


@dataclass(frozen=True, slots=True)
class PanelBinding:
    """Where a tariff provisions: a panel or a 3x-UI server group, and its squads/inbounds."""

    panel: PanelId
    squads: tuple[str, ...] = ()
    inbounds: tuple[int, ...] = ()


@dataclass(eq=False, slots=True, kw_only=True)
class Tariff:
    id: TariffId
    code: str
    """Stable slug used in deep links (``t_<code>``) and seeds."""
    names: Mapping[Language, str]
    options: tuple[TariffOption, ...]
    binding: PanelBinding
    descriptions: Mapping[Language, str] = field(default_factory=dict)
    traffic: TrafficLimit = field(default_factory=TrafficLimit.unlimited)
    devices: DeviceLimit = field(default_factory=DeviceLimit)
    locations: tuple[str, ...] = ()
    availability: Availability = Availability.EVERYONE
    order: int = 0
    active: bool = True
    is_trial: bool = False

    def __post_init__(self) -> None:
        if not _SLUG.match(self.code):
            raise InvalidValue("tariff code must be a lowercase slug of 1-32 characters")
        if not self.options:
            raise InvalidValue("a tariff needs at least one option")
        days = [o.days for o in self.options]
        if len(set(days)) != len(days):
            raise InvalidValue("tariff options must have distinct durations")
        if Language.EN not in self.names and Language.RU not in self.names:
            raise InvalidValue("a tariff needs a name")
        self.options = tuple(sorted(self.options, key=lambda o: o.days))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tariff) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def name(self, language: Language) -> str:
        return self.names.get(language) or next(iter(self.names.values()))

    def description(self, language: Language) -> str:
        return self.descriptions.get(language) or self.descriptions.get(Language.EN, "")

    def option(self, days: int) -> TariffOption:
        for option in self.options:
            if option.days == days:
                return option
        raise OptionUnavailable(f"tariff {self.code} has no {days}-day option")

    def is_listed_for(self, customer: Customer | None) -> bool:
        """Shown in the catalog to this customer."""
        return self.is_listed(has_purchased=customer is not None and customer.has_purchased)

    def is_listed(self, *, has_purchased: bool) -> bool:
        """Shown in the catalog to a customer who has (not) bought anything yet."""
        if not self.active or self.is_trial:
            return False
        if self.availability is Availability.HIDDEN_LINK:
            return False
        return not (self.availability is Availability.NEW_CUSTOMERS and has_purchased)

    def ensure_purchasable_by(self, customer: Customer) -> None:
        """Can be bought by this customer (hidden-link tariffs can, when active)."""
        self.ensure_purchasable(has_purchased=customer.has_purchased)

    def ensure_purchasable(self, *, has_purchased: bool) -> None:
        """Can be bought by a customer who has (not) bought anything yet."""
        if not self.active or self.is_trial:
            raise TariffUnavailable(f"tariff {self.code} is not on sale")
        if self.availability is Availability.NEW_CUSTOMERS and has_purchased:
            raise TariffUnavailable(f"tariff {self.code} is for new customers only")

    def deactivate(self) -> None:
        self.active = False

    def activate(self) -> None:
        self.active = True
