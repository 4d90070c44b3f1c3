"""Referral info: the customer's link code, how many joined, what it earned (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import CustomerReader, ReferralReader
from vpnsales.domain.errors import CustomerNotFound
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.referral import ReferralPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralInfoQuery:
    telegram_id: TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralInfo:
    referral_code: str
    start_payload: str
    """Append to ``https://t.me/<bot>?start=`` at the edge."""
    invited: int
    invited_paid: int
    earned: Money
    rewards: int
    policy: ReferralPolicy


class GetReferralInfo:
    def __init__(
        self, *, customers: CustomerReader, referrals: ReferralReader, policy: ShopPolicy
    ) -> None:
        self._customers = customers
        self._referrals = referrals
        self._policy = policy

    async def __call__(self, query: ReferralInfoQuery) -> ReferralInfo:
        customer = await self._customers.by_telegram_id(query.telegram_id)
        if customer is None:
            raise CustomerNotFound(str(query.telegram_id))
        stats = await self._referrals.stats(
            customer.customer_id, currency_zero=Money.zero(self._policy.base_currency)
        )
        return ReferralInfo(
            referral_code=customer.referral_code,
            start_payload=f"ref_{customer.referral_code}",
            invited=stats.invited,
            invited_paid=stats.invited_paid,
            earned=stats.earned,
            rewards=stats.rewards,
            policy=self._policy.referral,
        )
