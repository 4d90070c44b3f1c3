"""Redeem a promo code typed by the customer.

The text is normalised (odd characters → ``InvalidPromoCode``) and checked; then, for
kinds that take effect now, one use is counted atomically (the promo row ``for_update``
plus a redemption record; single-use codes are backed by a unique redemption):

* balance credit → ledger entry (``promo_credit``);
* bonus days → added to the customer's live subscription; with no live subscription the
  code is NOT counted and is kept for checkout (``APPLY_AT_CHECKOUT``, it adds its days
  to the next purchase);
* trial extension → days added to the live trial (``PromoCodeNotApplicable`` without one);
* percent / fixed → validated only, counted at checkout (``APPLY_AT_CHECKOUT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import uuid4

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.payments._support import (
    kick,
    load_customer,
    resync_accesses,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    PromoCodeRepository,
    Redemption,
    SubscriptionRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import BalanceReason, Customer
from vpnsales.domain.errors import CurrencyMismatch, PromoCodeNotApplicable, PromoCodeNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.promo import PromoCode, PromoKind, normalise_code
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class RedeemPromoCodeCommand:
    telegram_id: TelegramId
    text: str


class RedeemOutcome(StrEnum):
    BALANCE_CREDITED = "balance_credited"
    DAYS_ADDED = "days_added"
    TRIAL_EXTENDED = "trial_extended"
    APPLY_AT_CHECKOUT = "apply_at_checkout"


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoRedeemed:
    code: str
    kind: PromoKind
    outcome: RedeemOutcome
    amount: Money | None = None
    days: int | None = None
    percent: int | None = None
    subscription_id: SubscriptionId | None = None
    expires_at: datetime | None = None


class RedeemPromoCode:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._promos = promos
        self._outbox = outbox
        self._kicker = kicker
        self._clock = clock

    async def __call__(self, command: RedeemPromoCodeCommand) -> PromoRedeemed:
        code = normalise_code(command.text)
        now = self._clock.now()
        customer = await load_customer(self._customers, command.telegram_id, for_update=True)
        customer.ensure_not_banned()
        promo = await self._promos.get_by_code(code, for_update=True)
        if promo is None:
            raise PromoCodeNotFound(code)
        uses = await self._promos.customer_uses(promo.id, customer.id)

        if promo.kind in (PromoKind.PERCENT, PromoKind.FIXED):
            return await self._at_checkout(promo, customer, uses, now)
        live = [s for s in await self._subscriptions.for_customer(customer.id) if s.is_live]
        if promo.kind is PromoKind.BONUS_DAYS:
            if not live:
                return await self._at_checkout(promo, customer, uses, now)
            return await self._add_days(promo, customer, uses, live[0], now)
        if promo.kind is PromoKind.TRIAL_EXTENSION:
            promo.check(customer=customer, now=now, customer_uses=uses)
            trials = [s for s in live if s.is_trial]
            if not trials:
                raise PromoCodeNotApplicable("no live trial to extend")
            return await self._add_days(promo, customer, uses, trials[0], now)
        return await self._credit(promo, customer, uses, now)

    async def _at_checkout(
        self, promo: PromoCode, customer: Customer, uses: int, now: datetime
    ) -> PromoRedeemed:
        # valid for at least one tariff: the tariff is checked again at checkout
        some_tariff = min(promo.allowed_tariffs) if promo.allowed_tariffs else None
        promo.check(customer=customer, now=now, customer_uses=uses, tariff_id=some_tariff)
        await self._uow.rollback()
        return PromoRedeemed(
            code=promo.code,
            kind=promo.kind,
            outcome=RedeemOutcome.APPLY_AT_CHECKOUT,
            amount=promo.amount,
            days=promo.days,
            percent=int(promo.percent) if promo.percent is not None else None,
        )

    async def _count(self, promo: PromoCode, customer: Customer, uses: int, now: datetime) -> None:
        promo.redeem(customer=customer, now=now, customer_uses=uses)
        await self._promos.save(promo)
        await self._promos.add_redemption(
            Redemption(
                promo_id=promo.id,
                customer_id=customer.id,
                redeemed_at=now,
                single_use=promo.max_uses_per_customer == 1,
            )
        )

    async def _add_days(
        self,
        promo: PromoCode,
        customer: Customer,
        uses: int,
        subscription: Subscription,
        now: datetime,
    ) -> PromoRedeemed:
        await self._count(promo, customer, uses, now)
        days = promo.days or 0
        subscription = (
            await self._subscriptions.get(subscription.id, for_update=True) or subscription
        )
        subscription.grant(days, now)
        await self._subscriptions.save(subscription)
        await resync_accesses(
            accesses=self._accesses, outbox=self._outbox, subscription=subscription, now=now
        )
        await enqueue_notify(
            self._outbox,
            Intent(
                kind=IntentKind.DAYS_GRANTED,
                customer_id=customer.id,
                subscription_id=subscription.id,
                days=days,
                expires_at=subscription.expires_at,
                reason=f"promo:{promo.code}",
            ),
            now,
        )
        await self._uow.commit()
        await kick(self._kicker)
        trial = promo.kind is PromoKind.TRIAL_EXTENSION
        return PromoRedeemed(
            code=promo.code,
            kind=promo.kind,
            outcome=RedeemOutcome.TRIAL_EXTENDED if trial else RedeemOutcome.DAYS_ADDED,
            days=days,
            subscription_id=subscription.id,
            expires_at=subscription.expires_at,
        )

    async def _credit(
        self, promo: PromoCode, customer: Customer, uses: int, now: datetime
    ) -> PromoRedeemed:
        amount = promo.amount
        assert amount is not None
        if amount.currency is not customer.balance.currency:
            raise CurrencyMismatch("promo credit is not in the balance currency")
        await self._count(promo, customer, uses, now)
        customer.credit(
            amount, BalanceReason.PROMO_CREDIT, now, entry_id=uuid4(), reference=promo.code
        )
        await self._customers.save(customer)
        await self._uow.commit()
        return PromoRedeemed(
            code=promo.code,
            kind=promo.kind,
            outcome=RedeemOutcome.BALANCE_CREDITED,
            amount=amount,
        )
