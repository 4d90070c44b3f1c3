"""What admins type, parsed (syntax only; the domain validates the values)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vpnsales.domain.customer import Language
from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.limits import GIB, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import Availability
from vpnsales.entrypoints.bot.admin.forms import (
    parse_button,
    parse_promo,
    parse_tariff_spec,
)


def test_a_full_tariff_spec() -> None:
    spec = parse_tariff_spec(
        "code: Basic\nname ru: Базовый\nname en: Basic\ndescription en: Fast\n"
        "options: 30 = 300 RUB, 170 XTR; 90 = 810.50 RUB\ntraffic: 100 GB WEEK\n"
        "devices: unlimited\npanel: rw\nsquads: a, b\nlocations: NL, DE\n"
        "availability: new_customers\norder: 3"
    )
    assert spec.code == "basic"
    assert spec.names == {Language.RU: "Базовый", Language.EN: "Basic"}
    assert spec.options is not None
    assert spec.options[0].prices[Currency.XTR] == Money.of(170, Currency.XTR)
    assert spec.options[1].prices[Currency.RUB] == Money.of(Decimal("810.50"), Currency.RUB)
    assert spec.traffic is not None
    assert (spec.traffic.bytes, spec.traffic.reset) == (100 * GIB, TrafficResetStrategy.WEEK)
    assert spec.devices is not None
    assert spec.devices.is_unlimited
    binding = spec.binding()
    assert binding is not None
    assert binding.squads == ("a", "b")
    assert spec.availability is Availability.NEW_CUSTOMERS
    assert set(spec.update_fields()) == {
        "names", "descriptions", "options", "binding", "traffic", "devices", "locations",
        "availability", "order",
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["nonsense", "colour: red", "options: 30", "options: 30 = 300 GBP", "name xx: X", "order: x"],
)
def test_malformed_tariff_lines_are_explained(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_tariff_spec(text)


def test_promo_specs_of_every_kind() -> None:
    percent = parse_promo(PromoKind.PERCENT, "SPRING 15 uses=100 per=2 until=2030-01-01 first")
    assert (percent.percent, percent.max_uses, percent.max_uses_per_customer) == (15, 100, 2)
    assert percent.first_purchase_only
    assert percent.valid_until is not None
    assert parse_promo(PromoKind.FIXED, "M 100 RUB").amount == Money.of(100, Currency.RUB)
    assert parse_promo(PromoKind.BALANCE_CREDIT, "G 5 USD").amount == Money.of(5, Currency.USD)
    assert parse_promo(PromoKind.BONUS_DAYS, "D 7").days == 7
    assert parse_promo(PromoKind.TRIAL_EXTENSION, "T 3").days == 3
    with pytest.raises(InvalidValue):
        parse_promo(PromoKind.PERCENT, "ONLYCODE")


def test_a_button() -> None:
    button = parse_button("Open the shop | https://example.com")
    assert (button.text, button.url) == ("Open the shop", "https://example.com")
    with pytest.raises(InvalidValue):
        parse_button("no url here")
    with pytest.raises(InvalidValue):
        parse_button("Bad | ftp://example.com")
