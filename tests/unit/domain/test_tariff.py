"""Tariff: options, prices per currency, availability for listing and purchase."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import ceil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import PROPERTY, a_customer, a_tariff, an_option, rub, usd, xtr

from vpnsales.domain.customer import Language
from vpnsales.domain.errors import (
    InvalidValue,
    OptionUnavailable,
    PriceUnavailable,
    TariffUnavailable,
)
from vpnsales.domain.limits import Period
from vpnsales.domain.money import Currency
from vpnsales.domain.tariff import Availability, TariffOption

# -- options -----------------------------------------------------------------------------


def test_option_price_in_a_listed_currency() -> None:
    assert an_option(30).price(Currency.XTR) == xtr(100)


def test_option_price_in_an_unlisted_currency_is_unavailable() -> None:
    with pytest.raises(PriceUnavailable):
        an_option(30).price(Currency.USD)


def test_option_price_must_match_its_currency_key() -> None:
    with pytest.raises(InvalidValue):
        TariffOption(Period(30), {Currency.RUB: usd(1)})


def test_option_price_must_not_be_negative() -> None:
    with pytest.raises(InvalidValue):
        TariffOption(Period(30), {Currency.RUB: rub(-1)})


def test_option_prices_are_copied_from_the_callers_mapping() -> None:
    prices = {Currency.RUB: rub(1)}
    option = TariffOption(Period(30), prices)
    prices[Currency.RUB] = rub(2)
    assert option.price(Currency.RUB) == rub(1)


def test_option_exposes_its_days() -> None:
    assert an_option(90).days == 90


def test_price_per_month_normalises_to_thirty_days() -> None:
    option = an_option(90, {Currency.RUB: rub(499)})
    assert option.price_per_month(Currency.RUB) == rub("166.33")


def test_price_per_month_of_stars_is_exact_when_divisible() -> None:
    # 30/13 rounded to 28 digits used to push 390 over the integer, ceiling it to 391.
    option = an_option(13, {Currency.XTR: xtr(169)})
    assert option.price_per_month(Currency.XTR) == xtr(390)


@PROPERTY
@given(st.integers(1, 3660), st.integers(0, 10**6))
def test_price_per_month_of_stars_is_the_exact_value_rounded_up(days: int, stars: int) -> None:
    option = an_option(days, {Currency.XTR: xtr(stars)})
    exact = Fraction(stars * 30, days)
    assert option.price_per_month(Currency.XTR).amount == ceil(exact)


def test_daily_value_is_unrounded_price_per_day() -> None:
    assert an_option(30, {Currency.RUB: rub(300)}).daily_value(Currency.RUB) == Decimal(10)


# -- tariff ------------------------------------------------------------------------------


def test_options_are_sorted_by_duration() -> None:
    tariff = a_tariff(options=(an_option(365), an_option(30), an_option(90)))
    assert [o.days for o in tariff.options] == [30, 90, 365]


def test_options_must_have_distinct_durations() -> None:
    with pytest.raises(InvalidValue):
        a_tariff(options=(an_option(30), an_option(30)))


def test_tariff_needs_an_option() -> None:
    with pytest.raises(InvalidValue):
        a_tariff(options=())


def test_tariff_needs_a_name() -> None:
    with pytest.raises(InvalidValue):
        a_tariff(names={})


@pytest.mark.parametrize("code", ["", "Basic", "with space", "x" * 33, "путь"])
def test_tariff_code_must_be_a_slug(code: str) -> None:
    with pytest.raises(InvalidValue):
        a_tariff(code=code)


def test_option_by_days() -> None:
    assert a_tariff().option(90).days == 90


def test_missing_option_is_unavailable() -> None:
    with pytest.raises(OptionUnavailable):
        a_tariff().option(7)


def test_name_in_requested_language() -> None:
    assert a_tariff().name(Language.RU) == "Базовый"


def test_name_falls_back_to_any_name() -> None:
    assert a_tariff(names={Language.RU: "Только"}).name(Language.EN) == "Только"


def test_description_falls_back_to_english_then_empty() -> None:
    assert a_tariff(descriptions={Language.EN: "Fast"}).description(Language.RU) == "Fast"
    assert a_tariff().description(Language.RU) == ""


def test_tariffs_compare_and_hash_by_id() -> None:
    one = a_tariff()
    same = a_tariff(id=one.id, code="other")
    assert one == same
    assert hash(one) == hash(same)
    assert one != a_tariff()
    assert one != object()


# -- availability ------------------------------------------------------------------------


def test_public_tariff_is_listed_and_purchasable() -> None:
    tariff, customer = a_tariff(), a_customer(has_purchased=True)
    assert tariff.is_listed_for(customer)
    tariff.ensure_purchasable_by(customer)


def test_hidden_link_tariff_is_not_listed() -> None:
    assert not a_tariff(availability=Availability.HIDDEN_LINK).is_listed_for(a_customer())


def test_hidden_link_tariff_can_be_bought_through_its_link() -> None:
    a_tariff(availability=Availability.HIDDEN_LINK).ensure_purchasable_by(a_customer())


def test_new_customers_tariff_is_listed_for_new_and_anonymous_customers() -> None:
    tariff = a_tariff(availability=Availability.NEW_CUSTOMERS)
    assert tariff.is_listed_for(a_customer(has_purchased=False))
    assert tariff.is_listed_for(None)


def test_new_customers_tariff_is_hidden_from_returning_customers() -> None:
    tariff = a_tariff(availability=Availability.NEW_CUSTOMERS)
    assert not tariff.is_listed_for(a_customer(has_purchased=True))


def test_new_customers_tariff_cannot_be_bought_by_returning_customers() -> None:
    tariff = a_tariff(availability=Availability.NEW_CUSTOMERS)
    with pytest.raises(TariffUnavailable):
        tariff.ensure_purchasable_by(a_customer(has_purchased=True))


def test_new_customers_tariff_can_be_bought_by_a_new_customer() -> None:
    a_tariff(availability=Availability.NEW_CUSTOMERS).ensure_purchasable_by(a_customer())


def test_deactivated_tariff_is_neither_listed_nor_purchasable() -> None:
    tariff = a_tariff()
    tariff.deactivate()
    assert not tariff.is_listed_for(a_customer())
    with pytest.raises(TariffUnavailable):
        tariff.ensure_purchasable_by(a_customer())


def test_reactivated_tariff_is_listed_again() -> None:
    tariff = a_tariff(active=False)
    tariff.activate()
    assert tariff.is_listed_for(a_customer())


def test_trial_tariff_is_not_listed() -> None:
    assert not a_tariff(is_trial=True).is_listed_for(a_customer())


def test_trial_tariff_cannot_be_bought() -> None:
    with pytest.raises(TariffUnavailable):
        a_tariff(is_trial=True).ensure_purchasable_by(a_customer())
