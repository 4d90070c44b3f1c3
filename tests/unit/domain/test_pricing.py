"""Pricing: base → one promo → referral → balance → never below the provider minimum."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import PROPERTY, rub, tariff_id, usd, xtr

from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.pricing import Discount, Quote, make_quote, stars_for

TARIFF = tariff_id()


def quote(base: Money, **kwargs: object) -> Quote:
    return make_quote(base, tariff_id=TARIFF, days=30, **kwargs)  # type: ignore[arg-type]


def percent(value: str | int) -> Discount:
    return Discount(percent=Decimal(value))


def fixed(amount: Money) -> Discount:
    return Discount(amount=amount)


# -- Discount ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"percent": Decimal(10), "amount": rub(10)},
        {"percent": Decimal(0)},
        {"percent": Decimal("100.01")},
        {"percent": Decimal(-5)},
        {"amount": rub(0)},
        {"amount": rub(-1)},
    ],
)
def test_discount_is_exactly_one_valid_percent_or_positive_amount(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(InvalidValue):
        Discount(**kwargs)  # type: ignore[arg-type]


def test_fixed_discount_never_exceeds_the_price() -> None:
    assert fixed(rub(500)).apply_to(rub(199)) == rub(199)


def test_fixed_discount_in_another_currency_takes_nothing_off() -> None:
    assert fixed(usd(5)).apply_to(rub(199)) == rub(0)


def test_full_percent_discount_takes_the_whole_price() -> None:
    assert percent(100).apply_to(xtr(15)) == xtr(15)


# -- make_quote --------------------------------------------------------------------------


def test_no_discounts_charges_the_base_price() -> None:
    q = quote(rub(199))
    assert q.total == rub(199)
    assert q.discount == rub(0)
    assert q.balance_applied == rub(0)
    assert q.currency is Currency.RUB
    assert q.tariff_id == TARIFF
    assert q.days == 30


def test_promo_percent() -> None:
    q = quote(rub(199), promo=percent(10), promo_code="SPRING")
    assert q.promo_discount == rub("19.90")
    assert q.total == rub("179.10")
    assert q.promo_code == "SPRING"


def test_promo_fixed() -> None:
    q = quote(rub(199), promo=fixed(rub(50)))
    assert q.promo_discount == rub(50)
    assert q.total == rub(149)


def test_promo_fixed_in_another_currency_is_ignored() -> None:
    q = quote(xtr(100), promo=fixed(rub(50)))
    assert q.promo_discount == xtr(0)
    assert q.total == xtr(100)


def test_promo_bonus_days_are_carried_into_the_quote() -> None:
    assert quote(rub(199), promo_bonus_days=7).bonus_days == 7


def test_referral_discount_applies_after_promo() -> None:
    q = quote(rub(200), promo=percent(10), referral_percent=Decimal(10))
    assert q.promo_discount == rub(20)
    assert q.referral_discount == rub(18)  # 10 % of 180, not of 200
    assert q.discount == rub(38)
    assert q.total == rub(162)


@pytest.mark.parametrize("referral", [None, Decimal(0), Decimal(-5)])
def test_no_referral_discount_without_a_positive_percent(referral: Decimal | None) -> None:
    assert quote(rub(100), referral_percent=referral).referral_discount == rub(0)


def test_referral_discount_never_exceeds_the_price() -> None:
    assert quote(rub(100), referral_percent=Decimal(150)).total == rub(0)


def test_partial_balance_reduces_the_charge() -> None:
    q = quote(rub(199), balance=rub(50))
    assert q.balance_applied == rub(50)
    assert q.total == rub(149)
    assert not q.paid_by_balance_only


def test_balance_covering_the_price_pays_it_all() -> None:
    q = quote(rub(199), balance=rub(500))
    assert q.balance_applied == rub(199)
    assert q.total == rub(0)
    assert q.paid_by_balance_only


def test_balance_in_another_currency_is_ignored() -> None:
    q = quote(xtr(100), balance=rub(500))
    assert q.balance_applied == xtr(0)
    assert q.total == xtr(100)


def test_zero_balance_applies_nothing() -> None:
    assert quote(rub(199), balance=rub(0)).balance_applied == rub(0)


def test_provider_minimum_shrinks_the_promo() -> None:
    q = quote(rub(100), promo=percent("99.5"), provider_minimum=rub(1))
    assert q.total == rub(1)
    assert q.promo_discount == rub(99)


def test_provider_minimum_shrinks_the_referral_discount_first() -> None:
    q = quote(rub(100), promo=percent(90), referral_percent=Decimal(95), provider_minimum=rub(1))
    assert q.promo_discount == rub(90)
    assert q.referral_discount == rub(9)
    assert q.total == rub(1)


def test_partial_balance_leaves_at_least_the_provider_minimum() -> None:
    q = quote(rub(100), balance=rub("99.50"), provider_minimum=rub(1))
    assert q.balance_applied == rub(99)
    assert q.total == rub(1)


def test_balance_covering_the_discounted_price_skips_the_minimum() -> None:
    q = quote(rub(100), promo=percent("99.5"), balance=rub(10), provider_minimum=rub(1))
    assert q.total == rub(0)
    assert q.balance_applied == rub("0.50")
    assert q.paid_by_balance_only


def test_minimum_larger_than_the_base_price_is_not_imposed() -> None:
    q = quote(rub("0.50"), provider_minimum=rub(1))
    assert q.total == rub("0.50")


def test_minimum_larger_than_the_base_price_keeps_the_balance_out() -> None:
    q = quote(rub("0.50"), balance=rub("0.20"), provider_minimum=rub(1))
    assert q.total == rub("0.50")
    assert q.balance_applied == rub(0)


def test_minimum_in_another_currency_is_ignored() -> None:
    assert quote(xtr(10), promo=percent(100), provider_minimum=rub(1)).total == xtr(0)


@pytest.mark.parametrize("balance", [None, rub(0)])
def test_full_promo_still_charges_the_minimum_whether_balance_is_absent_or_zero(
    balance: Money | None,
) -> None:
    # used to be 1.00 with no balance but 0.00 (free, nothing paid) with a zero balance
    q = quote(rub(100), promo=percent(100), balance=balance, provider_minimum=rub(1))
    assert q.total == rub(1)


def test_full_promo_with_enough_balance_takes_the_minimum_from_balance() -> None:
    q = quote(rub(100), promo=percent(100), balance=rub(5), provider_minimum=rub(1))
    assert q.total == rub(0)
    assert q.balance_applied == rub(1)
    assert q.paid_by_balance_only


def test_full_promo_without_a_minimum_is_free() -> None:
    q = quote(rub(100), promo=percent(100))
    assert q.total == rub(0)
    assert not q.paid_by_balance_only


def test_stars_price_left_after_a_percent_promo_is_rounded_up() -> None:
    # 15 − 10 % = 13.5 stars → 14 (the discount, not the price, absorbs the fraction)
    q = quote(xtr(15), promo=percent(10))
    assert q.total == xtr(14)
    assert q.promo_discount == xtr(1)


def test_stars_price_left_after_a_referral_discount_is_rounded_up() -> None:
    assert quote(xtr(15), referral_percent=Decimal(10)).total == xtr(14)


def test_kopecks_of_the_price_left_round_half_up() -> None:
    # 10.01 − 50 % = 5.005 → 5.01
    assert quote(rub("10.01"), promo=percent(50)).total == rub("5.01")


def test_negative_base_is_refused() -> None:
    with pytest.raises(InvalidValue):
        quote(rub(-1))


def test_zero_base_is_free() -> None:
    q = quote(rub(0), balance=rub(5), provider_minimum=rub(1))
    assert q.total == rub(0)
    assert q.balance_applied == rub(0)


# -- stars_for ---------------------------------------------------------------------------


def test_stars_for_rounds_up() -> None:
    assert stars_for(rub(199), Decimal("1.79")) == xtr(112)  # 111.17…


def test_stars_for_exact_division() -> None:
    assert stars_for(rub(200), Decimal(2)) == xtr(100)


def test_stars_for_a_tiny_price_is_at_least_one_star() -> None:
    assert stars_for(rub("0.01"), Decimal(1000)) == xtr(1)


def test_stars_for_zero_is_zero() -> None:
    assert stars_for(rub(0), Decimal(2)) == xtr(0)


def test_stars_for_takes_rub_only() -> None:
    with pytest.raises(InvalidValue):
        stars_for(usd(1), Decimal(1))


@pytest.mark.parametrize("rate", [Decimal(0), Decimal(-1)])
def test_stars_for_needs_a_positive_rate(rate: Decimal) -> None:
    with pytest.raises(InvalidValue):
        stars_for(rub(1), rate)


# -- properties --------------------------------------------------------------------------

MAX = 200_000


@st.composite
def amounts(draw: st.DrawFn, currency: Currency, lo: int = 0, hi: int = MAX) -> Money:
    if currency is Currency.XTR:
        return Money.of(draw(st.integers(lo, hi)), currency)
    cents = draw(st.integers(lo * 100, hi * 100))
    return Money.of(Decimal(cents) / 100, currency)


percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)


@st.composite
def pricing_inputs(draw: st.DrawFn) -> dict[str, object]:
    currency = draw(st.sampled_from([Currency.RUB, Currency.XTR]))
    other = Currency.XTR if currency is Currency.RUB else Currency.RUB
    promo = draw(
        st.one_of(
            st.none(),
            percents.map(lambda p: Discount(percent=p)),
            amounts(currency, lo=1).map(lambda m: Discount(amount=m)),
            amounts(other, lo=1).map(lambda m: Discount(amount=m)),
        )
    )
    return {
        "base": draw(amounts(currency)),
        "promo": promo,
        "referral_percent": draw(st.one_of(st.none(), percents)),
        "balance": draw(st.one_of(st.none(), amounts(currency), amounts(other))),
        "provider_minimum": draw(
            st.one_of(st.none(), amounts(currency, lo=1, hi=100), amounts(other, lo=1))
        ),
    }


def _priced(inputs: dict[str, object]) -> Quote:
    return make_quote(tariff_id=TARIFF, days=30, **inputs)  # type: ignore[arg-type]


@PROPERTY
@given(pricing_inputs())
def test_total_is_never_negative_nor_above_base(inputs: dict[str, object]) -> None:
    q = _priced(inputs)
    assert not q.total.is_negative
    assert q.total <= q.base


@PROPERTY
@given(pricing_inputs())
def test_total_respects_the_provider_minimum(inputs: dict[str, object]) -> None:
    q = _priced(inputs)
    minimum = inputs["provider_minimum"]
    if isinstance(minimum, Money) and minimum.currency is q.currency and q.total < minimum:
        assert q.paid_by_balance_only or q.base < minimum


@PROPERTY
@given(pricing_inputs())
def test_quote_adds_up(inputs: dict[str, object]) -> None:
    q = _priced(inputs)
    assert q.base - q.promo_discount - q.referral_discount - q.balance_applied == q.total
    for part in (q.promo_discount, q.referral_discount, q.balance_applied):
        assert not part.is_negative
        assert part.currency is q.currency


@PROPERTY
@given(pricing_inputs())
def test_balance_applied_never_exceeds_the_balance(inputs: dict[str, object]) -> None:
    q = _priced(inputs)
    balance = inputs["balance"]
    if isinstance(balance, Money) and balance.currency is q.currency:
        assert q.balance_applied <= balance
    else:
        assert q.balance_applied.is_zero


@PROPERTY
@given(pricing_inputs())
def test_pricing_is_deterministic(inputs: dict[str, object]) -> None:
    assert _priced(inputs) == _priced(dict(inputs))


@PROPERTY
@given(pricing_inputs())
def test_every_amount_has_the_currency_precision(inputs: dict[str, object]) -> None:
    q = _priced(inputs)
    for money in (q.base, q.promo_discount, q.referral_discount, q.balance_applied, q.total):
        assert money.amount.as_tuple().exponent == -q.currency.exponent


@PROPERTY
@given(amounts(Currency.XTR), percents)
def test_stars_after_a_percent_promo_are_the_exact_price_rounded_up(
    base: Money, off: Decimal
) -> None:
    exact = Fraction(base.amount) * (100 - Fraction(off)) / 100
    assert quote(base, promo=Discount(percent=off)).total.amount == ceil(exact)


@PROPERTY
@given(amounts(Currency.RUB), percents)
def test_rub_after_a_percent_promo_is_the_exact_price_rounded_half_up(
    base: Money, off: Decimal
) -> None:
    exact = base.amount * (100 - off) / 100
    expected = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert quote(base, promo=Discount(percent=off)).total.amount == expected


@PROPERTY
@given(amounts(Currency.RUB, lo=1), st.decimals(min_value=Decimal("0.01"), max_value=10, places=2))
def test_stars_for_is_whole_positive_and_never_undercharges(price: Money, rate: Decimal) -> None:
    stars = stars_for(price, rate)
    assert stars.amount == stars.amount.to_integral_value()
    assert stars.amount >= 1
    assert stars.amount * rate >= price.amount
    assert (stars.amount - 1) * rate < price.amount
