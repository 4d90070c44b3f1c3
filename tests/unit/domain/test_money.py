"""Money: Decimal only, one currency, rounded by the currency's rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import PROPERTY, rub, usd, xtr

from vpnsales.domain.errors import CurrencyMismatch, InvalidValue
from vpnsales.domain.money import Currency, Money, round_amount


def test_of_accepts_decimal_int_and_str() -> None:
    assert Money.of(Decimal("1.5"), "RUB") == Money.of("1.50", Currency.RUB)
    assert Money.of(2, Currency.RUB).amount == Decimal("2.00")


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan")])
def test_of_refuses_float(value: float) -> None:
    with pytest.raises(InvalidValue):
        Money.of(value, Currency.RUB)  # type: ignore[arg-type]


def test_of_refuses_bool() -> None:
    with pytest.raises(InvalidValue):
        Money.of(True, Currency.RUB)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "-inf", "1,50"])
def test_of_refuses_non_finite_or_garbage(value: str) -> None:
    with pytest.raises(InvalidValue):
        Money.of(value, Currency.RUB)


def test_of_refuses_amount_too_large_for_the_decimal_context() -> None:
    with pytest.raises(InvalidValue):
        Money.of("1e30", Currency.RUB)


def test_constructor_refuses_amount_too_large_for_the_decimal_context() -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal("1e30"), Currency.RUB)


def test_constructor_refuses_non_decimal_amount() -> None:
    with pytest.raises(InvalidValue):
        Money(199, Currency.RUB)  # type: ignore[arg-type]


def test_constructor_refuses_infinite_decimal() -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal("Infinity"), Currency.RUB)


def test_constructor_refuses_unknown_currency_string() -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal(1), "RUB")  # type: ignore[arg-type]


def test_of_refuses_unknown_currency_code_as_invalid_value() -> None:
    with pytest.raises(InvalidValue, match="GBP"):
        Money.of(1, "GBP")


def test_exact_refuses_unknown_currency_code_as_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        Money.exact(1, "BTC")


def test_constructor_refuses_more_kopecks_than_rub_has() -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal("1.005"), Currency.RUB)


def test_constructor_refuses_fractional_stars() -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal("1.5"), Currency.XTR)


def test_integral_rub_is_normalised_to_two_decimals() -> None:
    assert str(Money(Decimal(199), Currency.RUB).amount) == "199.00"


def test_trailing_zeros_beyond_kopecks_are_normalised() -> None:
    assert str(Money(Decimal("199.000"), Currency.RUB).amount) == "199.00"


def test_stars_are_normalised_to_integers() -> None:
    assert str(Money(Decimal("1E+2"), Currency.XTR).amount) == "100"


def test_exact_refuses_a_value_that_needs_rounding() -> None:
    with pytest.raises(InvalidValue):
        Money.exact("199.001", Currency.RUB)


def test_exact_keeps_an_exact_value() -> None:
    assert Money.exact("199", "RUB") == rub("199.00")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01")],
)
def test_kopecks_round_half_up(raw: str, expected: str) -> None:
    assert rub(raw).amount == Decimal(expected)


@pytest.mark.parametrize(("raw", "expected"), [("0.01", 1), ("1.0", 1), ("99.001", 100)])
def test_stars_round_up(raw: str, expected: int) -> None:
    assert xtr(raw).amount == Decimal(expected)


def test_zero_is_zero_in_its_currency() -> None:
    zero = Money.zero("XTR")
    assert zero.is_zero
    assert zero.currency is Currency.XTR


def test_addition_and_subtraction_in_one_currency() -> None:
    assert rub("1.10") + rub("2.25") == rub("3.35")
    assert rub("1.10") - rub("2.25") == rub("-1.15")


def test_negation() -> None:
    assert -rub(5) == rub(-5)
    assert (-rub(5)).is_negative


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: a.min(b),
        lambda a, b: a.max(b),
    ],
)
def test_mixing_currencies_raises_currency_mismatch(operation) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CurrencyMismatch):
        operation(rub(1), usd(1))


def test_combining_with_a_non_money_is_refused() -> None:
    with pytest.raises(InvalidValue):
        rub(1) + Decimal(1)  # type: ignore[operator]


def test_comparisons() -> None:
    assert rub(1) < rub(2)
    assert rub(2) <= rub(2)
    assert rub(3) > rub(2)
    assert rub(2) >= rub(2)


def test_min_and_max() -> None:
    assert rub(1).min(rub(2)) == rub(1)
    assert rub(1).max(rub(2)) == rub(2)


def test_sign_predicates() -> None:
    assert rub(1).is_positive
    assert not rub(0).is_positive
    assert not rub(0).is_negative
    assert rub("-0.01").is_negative


def test_times_rounds_kopecks_half_up() -> None:
    assert rub("0.15").times(Decimal("0.5")) == rub("0.08")


def test_times_rounds_stars_up() -> None:
    assert xtr(3).times(Decimal("0.5")) == xtr(2)


def test_times_refuses_float_factor() -> None:
    with pytest.raises(InvalidValue):
        rub(1).times(0.5)  # type: ignore[arg-type]


def test_percent_rounds_kopecks_half_up() -> None:
    assert rub("0.50").percent(1) == rub("0.01")  # 0.005 → 0.01
    assert rub("199").percent(Decimal("12.5")) == rub("24.88")  # 24.875 → 24.88


def test_percent_rounds_stars_up() -> None:
    assert xtr(15).percent(10) == xtr(2)  # 1.5 → 2


def test_str_shows_amount_and_currency() -> None:
    assert str(rub(199)) == "199.00 RUB"
    assert str(xtr(50)) == "50 XTR"


def test_currency_precision() -> None:
    assert Currency.RUB.exponent == 2
    assert Currency.XTR.exponent == 0
    assert Currency.USD.quantum == Decimal("0.01")


def test_round_amount_follows_currency_rule() -> None:
    assert round_amount(Decimal("1.005"), Currency.EUR) == Decimal("1.01")
    assert round_amount(Decimal("1.0001"), Currency.XTR) == Decimal(2)


decimals = st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6)


@PROPERTY
@given(decimals, st.sampled_from(list(Currency)))
def test_of_always_yields_the_currency_precision(value: Decimal, currency: Currency) -> None:
    money = Money.of(value, currency)
    assert money.amount.as_tuple().exponent == -currency.exponent
    assert abs(money.amount - value) < currency.quantum


@PROPERTY
@given(decimals)
def test_stars_never_round_down(value: Decimal) -> None:
    stars = Money.of(value, Currency.XTR)
    assert stars.amount >= value
    assert stars.amount == stars.amount.to_integral_value()


@PROPERTY
@given(decimals, decimals)
def test_addition_is_exact_and_commutative(a: Decimal, b: Decimal) -> None:
    x, y = rub(a), rub(b)
    assert x + y == y + x
    assert (x + y).amount == x.amount + y.amount
    assert x + y - y == x
