"""Quote: what a purchase would cost this customer now (a query: nothing is written)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from vpnsales.application.interactors.payments._support import (
    PricedOffer,
    Pricer,
    PriceRequest,
    daily_value,
    load_customer,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.payments import PaymentGateway
from vpnsales.application.ports.repositories import (
    CustomerRepository,
    PromoCodeRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import Quote
from vpnsales.domain.subscription import prorate


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanChangePreview:
    """What a plan change would do (the same arithmetic as the fulfilment)."""

    from_tariff: str
    """Code of the current tariff."""
    from_tariff_name: str
    """Its name in the customer's language."""
    remaining: timedelta
    """Time left on the current plan."""
    converted: timedelta
    """That time converted pro rata to the new plan."""
    expires_at: datetime
    """When the subscription would end: now + converted + the days bought."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotePriceQuery:
    telegram_id: TelegramId
    provider: PaymentProvider
    tariff_code: str | None = None
    days: int = 0
    currency: Currency | None = None
    """Defaults to XTR for Stars, the shop's base currency otherwise."""
    promo_code: str | None = None
    """As typed by the customer (normalised here)."""
    use_balance: bool = False
    purpose: PaymentPurpose = PaymentPurpose.NEW
    subscription_id: SubscriptionId | None = None
    """The subscription renewed or changed."""
    top_up: Money | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteResult:
    quote: Quote
    referral_bonus_days: int = 0
    total_days: int = 0
    """Days bought + promo bonus days + referral bonus days."""
    plan_change: PlanChangePreview | None = None


class QuotePrice:
    """Base price → promo → referral first-purchase discount → balance → provider
    minimum (``make_quote``). Validates the customer, the tariff and the promo code."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        promos: PromoCodeRepository,
        gateways: Mapping[PaymentProvider, PaymentGateway],
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._pricer = Pricer(
            tariffs=tariffs,
            subscriptions=subscriptions,
            promos=promos,
            gateways=gateways,
            policy=policy,
        )
        self._clock = clock
        self._tariffs = tariffs
        self._policy = policy

    async def __call__(self, query: QuotePriceQuery) -> QuoteResult:
        try:
            customer = await load_customer(self._customers, query.telegram_id)
            offer = await self._pricer.price(
                customer,
                PriceRequest(
                    purpose=query.purpose,
                    provider=query.provider,
                    tariff_code=query.tariff_code,
                    days=query.days,
                    currency=query.currency,
                    promo_code=query.promo_code,
                    use_balance=query.use_balance,
                    subscription_id=query.subscription_id,
                    top_up=query.top_up,
                ),
                now := self._clock.now(),
            )
            preview = await self._preview(offer, now, customer.language)
        finally:
            await self._uow.rollback()
        quote = offer.quote
        return QuoteResult(
            quote=quote,
            referral_bonus_days=offer.referral_bonus_days,
            total_days=quote.days + quote.bonus_days + offer.referral_bonus_days
            if quote.days
            else 0,
            plan_change=preview,
        )

    async def _preview(
        self, offer: PricedOffer, now: datetime, language: Language
    ) -> PlanChangePreview | None:
        subscription, tariff = offer.subscription, offer.tariff
        if offer.purpose is not PaymentPurpose.PLAN_CHANGE or subscription is None or not tariff:
            return None
        old = await self._tariffs.get(subscription.tariff_id)
        remaining = subscription.remaining(now)
        converted = remaining
        currency = self._policy.base_currency
        old_value = daily_value(old, offer.quote.days, currency) if old else None
        new_value = daily_value(tariff, offer.quote.days, currency)
        if old_value is not None and new_value is not None and new_value > 0:
            converted = prorate(remaining, old_daily_value=old_value, new_daily_value=new_value)
        added = timedelta(
            days=offer.quote.days + offer.quote.bonus_days + offer.referral_bonus_days
        )
        return PlanChangePreview(
            from_tariff=old.code if old else "",
            from_tariff_name=old.name(language) if old else "",
            remaining=remaining,
            converted=converted,
            expires_at=now + converted + added,
        )
