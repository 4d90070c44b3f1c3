"""Referrals: first contact only, never self, never a cycle; referrer rewards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import PROPERTY, customer_id, rub, usd, xtr

from vpnsales.domain.errors import InvalidValue, ReferralNotAllowed
from vpnsales.domain.ids import CustomerId
from vpnsales.domain.referral import (
    MAX_CHAIN,
    ReferralPolicy,
    ReferrerReward,
    ReferrerRewardKind,
    check_referral,
    referrer_reward,
)

ZERO_RUB = rub(0)


# -- check_referral ----------------------------------------------------------------------


def test_referral_on_first_contact_is_allowed() -> None:
    check_referral(
        customer_id=customer_id(), referrer_id=customer_id(), first_contact=True, referrers={}
    )


def test_referral_after_first_contact_is_refused() -> None:
    with pytest.raises(ReferralNotAllowed):
        check_referral(
            customer_id=customer_id(), referrer_id=customer_id(), first_contact=False, referrers={}
        )


def test_self_referral_is_refused() -> None:
    me = customer_id()
    with pytest.raises(ReferralNotAllowed):
        check_referral(customer_id=me, referrer_id=me, first_contact=True, referrers={})


def test_referral_closing_a_cycle_is_refused() -> None:
    a, b, c = customer_id(), customer_id(), customer_id()
    # a invited b, b invited c; c may not become a's referrer
    with pytest.raises(ReferralNotAllowed):
        check_referral(
            customer_id=a, referrer_id=c, first_contact=True, referrers={c: b, b: a, a: None}
        )


def test_referral_onto_a_long_acyclic_chain_is_allowed() -> None:
    chain = [customer_id() for _ in range(1000)]
    referrers = {chain[i]: chain[i + 1] for i in range(len(chain) - 1)}
    check_referral(
        customer_id=customer_id(), referrer_id=chain[0], first_contact=True, referrers=referrers
    )


def test_referral_onto_a_chain_longer_than_the_limit_is_refused() -> None:
    chain = [customer_id() for _ in range(MAX_CHAIN + 1)]
    referrers = {chain[i]: chain[i + 1] for i in range(len(chain) - 1)}
    with pytest.raises(ReferralNotAllowed, match="too long"):
        check_referral(
            customer_id=customer_id(),
            referrer_id=chain[0],
            first_contact=True,
            referrers=referrers,
        )


def test_corrupt_cyclic_chain_terminates_with_a_refusal() -> None:
    a, b = customer_id(), customer_id()
    with pytest.raises(ReferralNotAllowed):
        check_referral(
            customer_id=customer_id(), referrer_id=a, first_contact=True, referrers={a: b, b: a}
        )


@PROPERTY
@given(
    st.integers(2, 12).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_referral_graph_stays_acyclic(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, attempts = case
    people = [CustomerId(customer_id()) for _ in range(n)]
    referrers: dict[CustomerId, CustomerId | None] = {}
    for invitee, referrer in attempts:
        try:
            check_referral(
                customer_id=people[invitee],
                referrer_id=people[referrer],
                # a referrer is attached at most once, on the first contact
                first_contact=people[invitee] not in referrers,
                referrers=referrers,
            )
        except ReferralNotAllowed:
            continue
        referrers[people[invitee]] = people[referrer]
    for start in people:
        seen = set()
        current: CustomerId | None = start
        while current is not None:
            assert current not in seen, "cycle in the referral graph"
            seen.add(current)
            current = referrers.get(current)


# -- policy and rewards ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"invitee_discount_percent": Decimal(100)},
        {"invitee_discount_percent": Decimal(-1)},
        {"referrer_percent": Decimal("100.01")},
        {"referrer_percent": Decimal(-1)},
        {"invitee_bonus_days": -1},
        {"referrer_days": -1},
    ],
)
def test_policy_refuses_out_of_range_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        ReferralPolicy(**kwargs)  # type: ignore[arg-type]


def test_balance_percent_reward_is_a_share_of_the_payment() -> None:
    policy = ReferralPolicy(referrer_percent=Decimal(10))
    reward = referrer_reward(policy, paid=rub(199), first_purchase=True, balance_currency=ZERO_RUB)
    assert reward == ReferrerReward(balance=rub("19.90"))
    assert not reward.is_empty


def test_balance_percent_reward_rounds_kopecks_half_up() -> None:
    policy = ReferralPolicy(referrer_percent=Decimal(5))
    reward = referrer_reward(
        policy, paid=rub("0.10"), first_purchase=True, balance_currency=ZERO_RUB
    )
    assert reward.balance == rub("0.01")  # 0.005 → 0.01


@pytest.mark.parametrize("paid", [xtr(100), usd(5)])
def test_balance_reward_for_a_payment_in_another_currency_is_empty(paid) -> None:  # type: ignore[no-untyped-def]
    reward = referrer_reward(
        ReferralPolicy(), paid=paid, first_purchase=True, balance_currency=ZERO_RUB
    )
    assert reward.is_empty


def test_balance_reward_for_a_free_purchase_is_empty() -> None:
    reward = referrer_reward(
        ReferralPolicy(), paid=rub(0), first_purchase=True, balance_currency=ZERO_RUB
    )
    assert reward.is_empty


def test_zero_percent_reward_is_empty() -> None:
    policy = ReferralPolicy(referrer_percent=Decimal(0))
    reward = referrer_reward(policy, paid=rub(100), first_purchase=True, balance_currency=ZERO_RUB)
    assert reward.is_empty


def test_days_reward() -> None:
    policy = ReferralPolicy(referrer_reward=ReferrerRewardKind.DAYS, referrer_days=7)
    reward = referrer_reward(policy, paid=xtr(100), first_purchase=False, balance_currency=ZERO_RUB)
    assert reward == ReferrerReward(days=7)
    assert not reward.is_empty


def test_no_reward_kind_gives_nothing() -> None:
    policy = ReferralPolicy(referrer_reward=ReferrerRewardKind.NONE)
    reward = referrer_reward(policy, paid=rub(100), first_purchase=True, balance_currency=ZERO_RUB)
    assert reward.is_empty


def test_first_purchase_only_policy_skips_later_purchases() -> None:
    policy = ReferralPolicy(first_purchase_only=True)
    later = referrer_reward(policy, paid=rub(100), first_purchase=False, balance_currency=ZERO_RUB)
    first = referrer_reward(policy, paid=rub(100), first_purchase=True, balance_currency=ZERO_RUB)
    assert later.is_empty
    assert first.balance == rub(10)
