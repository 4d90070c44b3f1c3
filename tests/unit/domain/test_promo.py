"""Promo codes: normalisation, kinds, every refusal reason, redemption limits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import DAY, NOW, PROPERTY, a_customer, a_promo, rub, tariff_id

from vpnsales.domain.customer import Customer
from vpnsales.domain.errors import (
    DomainError,
    InvalidPromoCode,
    InvalidValue,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
    PromoCodeExpired,
    PromoCodeFirstPurchaseOnly,
    PromoCodeInactive,
    PromoCodeNotApplicable,
    PromoCodeNotStarted,
)
from vpnsales.domain.pricing import Discount
from vpnsales.domain.promo import MAX_RAW_LENGTH, PromoKind, normalise_code

# -- normalise_code ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (" summer-25 ", "SUMMER-25"),
        ("\tspring_1\n", "SPRING_1"),
        ("\u00a0abc\u00a0", "ABC"),  # no-break spaces are whitespace too
        ("x" * 32, "X" * 32),
    ],
)
def test_normalise_trims_and_upper_cases(raw: str, code: str) -> None:
    assert normalise_code(raw) == code


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ab",
        "x" * 33,
        "x" * (MAX_RAW_LENGTH + 1),
        " " * 40 + "CODE" + " " * 40,
        "sum mer",
        "промо",
        "ＡＢＣ１２３",  # full-width letters and digits
        "CODE🎁",
        "🎁🎁🎁",
        "CO\u200bDE",  # zero-width space
        "'; DROP TABLE promo_codes; --",
        "1' OR '1'='1",
        "CODE%",
        "CODE\x00",
        "CODE\nX",
        "a.b.c",
        "ſummer",  # long s: upper() would make it "SUMMER"
        "straße",  # upper() would make it "STRASSE"
        "ﬀoo",  # ligature: upper() would make it "FFOO"
        "ıdea",  # dotless i: upper() would make it "IDEA"
    ],
)
def test_normalise_refuses_anything_that_cannot_be_a_code(raw: str) -> None:
    with pytest.raises(InvalidPromoCode):
        normalise_code(raw)


def test_normalise_refuses_non_strings() -> None:
    with pytest.raises(InvalidPromoCode):
        normalise_code(12345)  # type: ignore[arg-type]


@PROPERTY
@given(st.text(max_size=80))
def test_normalise_yields_a_safe_code_or_a_typed_refusal(raw: str) -> None:
    try:
        code = normalise_code(raw)
    except InvalidPromoCode:
        return
    assert raw.strip().isascii()
    assert code == raw.strip().upper()
    assert 3 <= len(code) <= 32
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    assert normalise_code(code) == code


def test_promo_code_is_normalised_on_creation() -> None:
    assert a_promo(code=" spring-25 ").code == "SPRING-25"


def test_promo_with_an_invalid_code_is_refused() -> None:
    with pytest.raises(InvalidPromoCode):
        a_promo(code="no spaces please")


# -- kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, Decimal(0), Decimal(-1), Decimal("100.5")])
def test_percent_promo_needs_a_percent_in_range(value: Decimal | None) -> None:
    with pytest.raises(InvalidValue):
        a_promo(kind=PromoKind.PERCENT, percent=value)


@pytest.mark.parametrize("kind", [PromoKind.FIXED, PromoKind.BALANCE_CREDIT])
@pytest.mark.parametrize("amount", [None, rub(0)])
def test_amount_promos_need_a_positive_amount(kind: PromoKind, amount: object) -> None:
    with pytest.raises(InvalidValue):
        a_promo(kind=kind, percent=None, amount=amount)


@pytest.mark.parametrize("kind", [PromoKind.BONUS_DAYS, PromoKind.TRIAL_EXTENSION])
@pytest.mark.parametrize("days", [None, 0, -3])
def test_day_promos_need_positive_days(kind: PromoKind, days: int | None) -> None:
    with pytest.raises(InvalidValue):
        a_promo(kind=kind, percent=None, days=days)


def test_percent_promo_is_a_percent_discount() -> None:
    promo = a_promo(kind=PromoKind.PERCENT, percent=Decimal(25))
    assert promo.discount == Discount(percent=Decimal(25))
    assert promo.bonus_days == 0


def test_fixed_promo_is_an_amount_discount() -> None:
    promo = a_promo(kind=PromoKind.FIXED, percent=None, amount=rub(100))
    assert promo.discount == Discount(amount=rub(100))


def test_bonus_days_promo_gives_days_and_no_discount() -> None:
    promo = a_promo(kind=PromoKind.BONUS_DAYS, percent=None, days=7)
    assert promo.discount is None
    assert promo.bonus_days == 7


@pytest.mark.parametrize("kind", [PromoKind.TRIAL_EXTENSION, PromoKind.BALANCE_CREDIT])
def test_non_checkout_kinds_give_no_discount_and_no_bonus(kind: PromoKind) -> None:
    promo = a_promo(kind=kind, percent=None, days=3, amount=rub(50))
    assert promo.discount is None
    assert promo.bonus_days == 0
    assert not kind.applies_at_checkout


@pytest.mark.parametrize("kind", [PromoKind.PERCENT, PromoKind.FIXED, PromoKind.BONUS_DAYS])
def test_checkout_kinds(kind: PromoKind) -> None:
    assert kind.applies_at_checkout


def test_total_uses_must_be_at_least_one() -> None:
    with pytest.raises(InvalidValue):
        a_promo(max_uses=0)


def test_uses_per_customer_must_be_at_least_one() -> None:
    with pytest.raises(InvalidValue):
        a_promo(max_uses_per_customer=0)


def test_validity_window_must_not_be_empty() -> None:
    with pytest.raises(InvalidValue):
        a_promo(valid_from=NOW, valid_until=NOW)


@pytest.mark.parametrize("field", ["valid_from", "valid_until", "created_at"])
def test_promo_times_must_be_aware(field: str) -> None:
    with pytest.raises(InvalidValue):
        a_promo(**{field: datetime(2026, 1, 1)})


def test_promos_compare_and_hash_by_id() -> None:
    promo = a_promo()
    assert promo == promo
    assert hash(promo) == hash(promo.id)
    assert promo != a_promo()
    assert promo != "SPRING-25"


def test_uses_left() -> None:
    assert a_promo().uses_left is None
    assert a_promo(max_uses=5, uses=3).uses_left == 2
    assert a_promo(max_uses=5, uses=7).uses_left == 0


# -- check: every refusal ----------------------------------------------------------------


def check(promo, customer: Customer | None = None, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
    promo.check(
        customer=customer or a_customer(),
        now=kwargs.pop("now", NOW),
        customer_uses=kwargs.pop("customer_uses", 0),
        **kwargs,
    )


def test_valid_promo_passes() -> None:
    check(a_promo(valid_from=NOW - DAY, valid_until=NOW + DAY, max_uses=10, uses=9))


def test_inactive_promo_is_refused() -> None:
    promo = a_promo()
    promo.deactivate()
    with pytest.raises(PromoCodeInactive):
        check(promo)


def test_promo_before_its_window_is_not_started() -> None:
    with pytest.raises(PromoCodeNotStarted):
        check(a_promo(valid_from=NOW + DAY))


def test_promo_at_its_end_is_expired() -> None:
    with pytest.raises(PromoCodeExpired):
        check(a_promo(valid_until=NOW))


def test_promo_at_its_start_is_valid() -> None:
    check(a_promo(valid_from=NOW))


def test_promo_with_every_use_taken_is_exhausted() -> None:
    with pytest.raises(PromoCodeExhausted):
        check(a_promo(max_uses=3, uses=3))


def test_promo_used_up_by_this_customer_is_already_used() -> None:
    with pytest.raises(PromoCodeAlreadyUsed):
        check(a_promo(max_uses_per_customer=2), customer_uses=2)


def test_first_purchase_promo_is_refused_to_returning_customers() -> None:
    with pytest.raises(PromoCodeFirstPurchaseOnly):
        check(a_promo(first_purchase_only=True), a_customer(has_purchased=True))


def test_first_purchase_promo_accepts_new_customers() -> None:
    check(a_promo(first_purchase_only=True), a_customer(has_purchased=False))


def test_trial_extension_is_refused_to_paying_customers() -> None:
    promo = a_promo(kind=PromoKind.TRIAL_EXTENSION, percent=None, days=3)
    with pytest.raises(PromoCodeNotApplicable):
        check(promo, a_customer(has_purchased=True))


def test_promo_for_other_tariffs_is_not_applicable() -> None:
    promo = a_promo(allowed_tariffs=frozenset({tariff_id()}))
    with pytest.raises(PromoCodeNotApplicable):
        check(promo, tariff_id=tariff_id())


def test_tariff_restricted_promo_without_a_tariff_is_not_applicable() -> None:
    with pytest.raises(PromoCodeNotApplicable):
        check(a_promo(allowed_tariffs=frozenset({tariff_id()})))


def test_promo_for_this_tariff_applies() -> None:
    allowed = tariff_id()
    check(a_promo(allowed_tariffs=frozenset({allowed})), tariff_id=allowed)


def test_tariff_restriction_does_not_block_a_balance_credit() -> None:
    promo = a_promo(
        kind=PromoKind.BALANCE_CREDIT,
        percent=None,
        amount=rub(100),
        allowed_tariffs=frozenset({tariff_id()}),
    )
    check(promo)


def test_check_refuses_naive_now() -> None:
    with pytest.raises(InvalidValue):
        check(a_promo(), now=datetime(2026, 1, 1))


# -- redeem / release --------------------------------------------------------------------


def test_redeem_counts_one_use() -> None:
    promo = a_promo()
    promo.redeem(customer=a_customer(), now=NOW, customer_uses=0)
    assert promo.uses == 1


def test_refused_redemption_counts_nothing() -> None:
    promo = a_promo(max_uses=1, uses=1)
    with pytest.raises(PromoCodeExhausted):
        promo.redeem(customer=a_customer(), now=NOW, customer_uses=0)
    assert promo.uses == 1


def test_release_gives_a_use_back() -> None:
    promo = a_promo(uses=2)
    promo.release()
    assert promo.uses == 1


def test_release_never_goes_below_zero() -> None:
    promo = a_promo()
    promo.release()
    assert promo.uses == 0


# -- property: limits hold over any sequence ---------------------------------------------


@PROPERTY
@given(
    max_uses=st.one_of(st.none(), st.integers(1, 8)),
    per_customer=st.integers(1, 3),
    attempts=st.lists(st.tuples(st.sampled_from(["redeem", "release"]), st.integers(0, 4))),
)
def test_redemptions_never_exceed_total_or_per_customer_limits(
    max_uses: int | None, per_customer: int, attempts: list[tuple[str, int]]
) -> None:
    promo = a_promo(max_uses=max_uses, max_uses_per_customer=per_customer)
    customers = [a_customer() for _ in range(5)]
    uses: dict[int, int] = {}  # per-customer redemptions, as storage would count them
    for action, who in attempts:
        if action == "release":
            if uses.get(who):
                promo.release()
                uses[who] -= 1
            continue
        before = promo.uses
        try:
            promo.redeem(customer=customers[who], now=NOW, customer_uses=uses.get(who, 0))
        except DomainError:
            assert promo.uses == before
        else:
            uses[who] = uses.get(who, 0) + 1
            assert promo.uses == before + 1
        assert all(count <= per_customer for count in uses.values())
        assert promo.uses == sum(uses.values())
        if max_uses is not None:
            assert promo.uses <= max_uses
