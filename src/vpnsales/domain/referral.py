"""Referral rules: attached only on a customer's first contact, never self, never a cycle.

Rewards are configurable: the invited customer may get a first-purchase discount and/or
bonus days; the referrer gets a percentage of each payment to balance, or days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vpnsales.domain.errors import InvalidValue, ReferralNotAllowed
from vpnsales.domain.ids import CustomerId
from vpnsales.domain.money import Money

MAX_CHAIN = 10_000


class ReferrerRewardKind(StrEnum):
    BALANCE_PERCENT = "balance_percent"
    DAYS = "days"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralPolicy:
    invitee_discount_percent: Decimal = Decimal(0)
    """Discount on the invited customer's first purchase."""
    invitee_bonus_days: int = 0
    """Extra days on the invited customer's first purchase."""
    referrer_reward: ReferrerRewardKind = ReferrerRewardKind.BALANCE_PERCENT
    referrer_percent: Decimal = Decimal(10)
    """Share of each payment of the invited customer credited to the referrer."""
    referrer_days: int = 0
    """Days granted to the referrer per paid purchase of the invited customer."""
    first_purchase_only: bool = False
    """Reward the referrer only for the first purchase."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.invitee_discount_percent < Decimal(100):
            raise InvalidValue("invitee discount must be in [0, 100)")
        if not Decimal(0) <= self.referrer_percent <= Decimal(100):
            raise InvalidValue("referrer percent must be in [0, 100]")
        if self.invitee_bonus_days < 0 or self.referrer_days < 0:
            raise InvalidValue("days must not be negative")


@dataclass(frozen=True, slots=True)
class ReferrerReward:
    balance: Money | None = None
    days: int = 0

    @property
    def is_empty(self) -> bool:
        return (self.balance is None or self.balance.is_zero) and self.days == 0


def referrer_reward(
    policy: ReferralPolicy, *, paid: Money, first_purchase: bool, balance_currency: Money
) -> ReferrerReward:
    """What the referrer earns for one payment of the invited customer.

    ``balance_currency`` is a zero of the ledger's currency: a reward is credited only
    when the payment was in that currency (Stars and crypto rewards would need a rate).
    """
    if policy.first_purchase_only and not first_purchase:
        return ReferrerReward()
    if policy.referrer_reward is ReferrerRewardKind.DAYS:
        return ReferrerReward(days=policy.referrer_days)
    if policy.referrer_reward is ReferrerRewardKind.BALANCE_PERCENT:
        if paid.currency is not balance_currency.currency or not paid.is_positive:
            return ReferrerReward()
        return ReferrerReward(balance=paid.percent(policy.referrer_percent))
    return ReferrerReward()


def check_referral(
    *,
    customer_id: CustomerId,
    referrer_id: CustomerId,
    first_contact: bool,
    referrers: Mapping[CustomerId, CustomerId | None],
) -> None:
    """Raise ``ReferralNotAllowed`` unless ``referrer_id`` may become the referrer.

    ``referrers`` maps customers to their referrer (at least the referrer's chain).
    """
    if not first_contact:
        raise ReferralNotAllowed("referral is attached only on first contact")
    if customer_id == referrer_id:
        raise ReferralNotAllowed("a customer cannot refer themselves")
    current: CustomerId | None = referrer_id
    for _ in range(MAX_CHAIN):
        if current is None:
            return
        if current == customer_id:
            raise ReferralNotAllowed("referral would create a cycle")
        current = referrers.get(current)
    raise ReferralNotAllowed("referral chain too long")
