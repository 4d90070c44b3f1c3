"""Pricing: base price → at most one promo discount → referral first-purchase discount →
balance → never below the provider's minimum. Pure and deterministic.

Rounding: kopecks/cents half-up at every step; Stars rounded up to whole stars.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.ids import TariffId
from vpnsales.domain.money import Currency, Money


@dataclass(frozen=True, slots=True, kw_only=True)
class Discount:
    """A promo's effect on price: either a percentage or a fixed amount off."""

    percent: Decimal | None = None
    amount: Money | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise InvalidValue("a discount is either a percent or an amount")
        if self.percent is not None and not Decimal(0) < self.percent <= Decimal(100):
            raise InvalidValue("discount percent must be in (0, 100]")
        if self.amount is not None and not self.amount.is_positive:
            raise InvalidValue("discount amount must be positive")

    def apply_to(self, price: Money) -> Money:
        """How much comes off ``price`` (never more than the price)."""
        if self.percent is not None:
            off = _percent_off(price, self.percent)
        else:
            assert self.amount is not None
            if self.amount.currency is not price.currency:
                return Money.zero(price.currency)
            off = self.amount
        return off.min(price)


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """The priced offer a payment is made against (snapshotted into the payment)."""

    tariff_id: TariffId | None
    days: int
    base: Money
    promo_code: str | None = None
    promo_discount: Money
    referral_discount: Money
    balance_applied: Money
    total: Money
    """What the provider charges. Zero means fully paid from balance."""
    bonus_days: int = 0

    @property
    def currency(self) -> Currency:
        return self.base.currency

    @property
    def discount(self) -> Money:
        return self.promo_discount + self.referral_discount

    @property
    def paid_by_balance_only(self) -> bool:
        return self.total.is_zero and self.balance_applied.is_positive


def make_quote(
    base: Money,
    *,
    tariff_id: TariffId | None,
    days: int,
    promo: Discount | None = None,
    promo_code: str | None = None,
    promo_bonus_days: int = 0,
    referral_percent: Decimal | None = None,
    balance: Money | None = None,
    provider_minimum: Money | None = None,
) -> Quote:
    """Price an option. Invariants (property-tested):

    * ``0 <= total <= base``; ``total >= provider_minimum`` unless it is zero because the
      balance paid everything (a charge is never below what the provider accepts);
    * ``base - promo - referral - balance == total`` up to the minimum-charge top-up,
      which is taken back from the discounts first and then from the balance applied.
    """
    if base.is_negative:
        raise InvalidValue("base price must not be negative")
    currency = base.currency
    zero = Money.zero(currency)
    if provider_minimum is not None and provider_minimum.currency is not currency:
        provider_minimum = None

    promo_off = promo.apply_to(base) if promo is not None else zero
    after_promo = base - promo_off
    referral_off = (
        _percent_off(after_promo, referral_percent).min(after_promo)
        if referral_percent is not None and referral_percent > 0
        else zero
    )
    after_discounts = after_promo - referral_off

    # Keep the charge at or above the provider's minimum: shrink the discounts first.
    if (
        provider_minimum is not None
        and after_discounts < provider_minimum
        and base >= provider_minimum
        and not (after_discounts.is_positive and _covers(balance, after_discounts))
    ):
        shortfall = provider_minimum - after_discounts
        take_from_referral = shortfall.min(referral_off)
        referral_off = referral_off - take_from_referral
        shortfall = shortfall - take_from_referral
        promo_off = promo_off - shortfall.min(promo_off)
        after_discounts = base - promo_off - referral_off

    balance_used = zero
    if balance is not None and balance.currency is currency and balance.is_positive:
        if balance >= after_discounts:
            balance_used = after_discounts  # paid in full from balance
        else:
            usable = after_discounts - balance
            balance_used = balance
            if provider_minimum is not None and usable < provider_minimum:
                # leave at least the provider minimum to charge
                balance_used = (after_discounts - provider_minimum).max(zero)
    total = after_discounts - balance_used
    return Quote(
        tariff_id=tariff_id,
        days=days,
        base=base,
        promo_code=promo_code,
        promo_discount=promo_off,
        referral_discount=referral_off,
        balance_applied=balance_used,
        total=total,
        bonus_days=promo_bonus_days,
    )


def _covers(balance: Money | None, price: Money) -> bool:
    return balance is not None and balance.currency is price.currency and balance >= price


def _percent_off(price: Money, percent: Decimal) -> Money:
    """How much ``percent`` % takes off ``price``, rounding the *price left* by the
    currency's rule (Stars up, kopecks half-up) rather than the discount itself."""
    return price - Money.of(price.amount * (Decimal(100) - percent) / Decimal(100), price.currency)


def stars_for(rub: Money, rub_per_star: Decimal) -> Money:
    """Convert a RUB price into Stars at the configured rate, rounded up (≥ 1 star)."""
    if rub.currency is not Currency.RUB:
        raise InvalidValue("stars conversion takes a RUB amount")
    if rub_per_star <= 0:
        raise InvalidValue("stars rate must be positive")
    stars = Money.of(rub.amount / rub_per_star, Currency.XTR)
    return stars.max(Money.of(1, Currency.XTR)) if rub.is_positive else stars
