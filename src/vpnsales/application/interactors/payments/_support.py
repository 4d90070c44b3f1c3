"""Pieces shared by the customer and payment use cases (not use cases themselves):
pricing an offer, applying a succeeded payment, placing accesses, releasing promos."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from vpnsales.application.common import (
    enqueue_alert,
    enqueue_notify,
    enqueue_receipt,
    enqueue_sync,
)
from vpnsales.application.errors import (
    CurrencyNotAccepted,
    ProviderNotConfigured,
    SubscriptionNotOwned,
    TopUpAmountInvalid,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry, choose_panel
from vpnsales.application.ports.payments import PaymentGateway
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    PaymentRepository,
    PromoCodeRepository,
    Redemption,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.customer import BalanceReason, Customer
from vpnsales.domain.errors import (
    CustomerNotFound,
    InsufficientBalance,
    InvalidSubscriptionTransition,
    PaymentNotFound,
    PlanChangeNotAllowed,
    PriceUnavailable,
    PromoCodeNotApplicable,
    PromoCodeNotFound,
    SubscriptionNotFound,
    TariffNotFound,
    TariffUnavailable,
)
from vpnsales.domain.ids import AccessId, PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import Intent, IntentKind, reactivated
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import Quote, make_quote, stars_for
from vpnsales.domain.promo import PromoCode, normalise_code
from vpnsales.domain.referral import ReferrerRewardKind, referrer_reward
from vpnsales.domain.subscription import (
    Subscription,
    SubscriptionStatus,
    SuspensionReason,
    prorate,
)
from vpnsales.domain.tariff import PanelBinding, Tariff, TariffOption

# -- customers -------------------------------------------------------------------------


async def load_customer(
    customers: CustomerRepository, telegram_id: TelegramId, *, for_update: bool = False
) -> Customer:
    customer = await customers.get_by_telegram_id(telegram_id, for_update=for_update)
    if customer is None:
        raise CustomerNotFound(f"no customer with telegram id {telegram_id}")
    return customer


async def kick(kicker: TaskKicker) -> None:
    """Best effort: a lost kick is covered by the periodic outbox drain."""
    with contextlib.suppress(Exception):  # the periodic drain is the safety net
        await kicker.kick()


# -- pricing ---------------------------------------------------------------------------


def charge_currency(
    provider: PaymentProvider, asked: Currency | None, policy: ShopPolicy
) -> Currency:
    if provider is PaymentProvider.STARS:
        if asked is not None and asked is not Currency.XTR:
            raise CurrencyNotAccepted("Telegram Stars charge in XTR only")
        return Currency.XTR
    if asked is Currency.XTR:
        raise CurrencyNotAccepted(f"{provider} cannot charge Stars")
    if provider is PaymentProvider.BALANCE:
        return policy.base_currency
    return asked or policy.base_currency


def option_price(option: TariffOption, currency: Currency, policy: ShopPolicy) -> Money:
    """The option's price in ``currency``; Stars fall back to the RUB price converted."""
    if currency is Currency.XTR and Currency.XTR not in option.prices:
        return stars_for(option.price(Currency.RUB), policy.rub_per_star)
    return option.price(currency)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRequest:
    purpose: PaymentPurpose = PaymentPurpose.NEW
    provider: PaymentProvider
    tariff_code: str | None = None
    days: int = 0
    currency: Currency | None = None
    promo_code: str | None = None
    use_balance: bool = False
    subscription_id: SubscriptionId | None = None
    top_up: Money | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedOffer:
    quote: Quote
    purpose: PaymentPurpose
    provider: PaymentProvider
    tariff: Tariff | None
    subscription: Subscription | None
    promo: PromoCode | None
    referral_bonus_days: int
    """Extra days the invited customer gets on this (first) purchase."""


class Pricer:
    """Validates what is being bought and prices it (``make_quote``)."""

    def __init__(
        self,
        *,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        promos: PromoCodeRepository,
        gateways: Mapping[PaymentProvider, PaymentGateway],
        policy: ShopPolicy,
    ) -> None:
        self._tariffs = tariffs
        self._subscriptions = subscriptions
        self._promos = promos
        self._gateways = gateways
        self._policy = policy

    async def price(
        self, customer: Customer, request: PriceRequest, now: datetime, *, for_update: bool = False
    ) -> PricedOffer:
        customer.ensure_not_banned()
        policy = self._policy
        currency = charge_currency(request.provider, request.currency, policy)
        minimum: Money | None = None
        if request.provider is not PaymentProvider.BALANCE:
            gateway = self._gateways.get(request.provider)
            if gateway is None:
                raise ProviderNotConfigured(f"{request.provider} is not configured")
            minimum = gateway.minimum_charge
        use_balance = request.use_balance or request.provider is PaymentProvider.BALANCE
        balance = customer.balance if use_balance else None

        if request.purpose is PaymentPurpose.TOP_UP:
            amount = request.top_up
            if amount is None or not amount.is_positive or amount.currency is not currency:
                raise TopUpAmountInvalid("top-up needs a positive amount in the charge currency")
            if currency is not policy.base_currency or request.provider is PaymentProvider.BALANCE:
                raise TopUpAmountInvalid("balance is kept in the base currency")
            quote = make_quote(amount, tariff_id=None, days=0, provider_minimum=minimum)
            return PricedOffer(
                quote=quote,
                purpose=request.purpose,
                provider=request.provider,
                tariff=None,
                subscription=None,
                promo=None,
                referral_bonus_days=0,
            )

        tariff, subscription = await self._target(customer, request)
        option = tariff.option(request.days)
        base = option_price(option, currency, policy)

        promo: PromoCode | None = None
        if request.promo_code:
            promo = await self._promo(customer, request.promo_code, tariff, now, for_update)

        first_purchase = not customer.has_purchased and customer.referrer_id is not None
        referral_percent = policy.referral.invitee_discount_percent if first_purchase else None
        quote = make_quote(
            base,
            tariff_id=tariff.id,
            days=option.days,
            promo=promo.discount if promo else None,
            promo_code=promo.code if promo else None,
            promo_bonus_days=promo.bonus_days if promo else 0,
            referral_percent=referral_percent or None,
            balance=balance,
            provider_minimum=minimum,
        )
        return PricedOffer(
            quote=quote,
            purpose=request.purpose,
            provider=request.provider,
            tariff=tariff,
            subscription=subscription,
            promo=promo,
            referral_bonus_days=policy.referral.invitee_bonus_days if first_purchase else 0,
        )

    async def _target(
        self, customer: Customer, request: PriceRequest
    ) -> tuple[Tariff, Subscription | None]:
        subscription: Subscription | None = None
        if request.purpose in (PaymentPurpose.RENEWAL, PaymentPurpose.PLAN_CHANGE):
            if request.subscription_id is None:
                raise SubscriptionNotFound("renewal and plan change name a subscription")
            subscription = await self._subscriptions.get(request.subscription_id)
            if subscription is None:
                raise SubscriptionNotFound()
            if subscription.customer_id != customer.id:
                raise SubscriptionNotOwned()
            if subscription.status is SubscriptionStatus.CANCELLED:
                raise TariffUnavailable("a cancelled subscription cannot be renewed")
            if subscription.status is SubscriptionStatus.SUSPENDED:
                raise InvalidSubscriptionTransition("a suspended subscription cannot be renewed")

        if request.purpose is PaymentPurpose.RENEWAL:
            assert subscription is not None
            tariff = await self._tariffs.get(subscription.tariff_id)
            if tariff is None:
                raise TariffNotFound()
            if request.tariff_code and request.tariff_code != tariff.code:
                raise TariffUnavailable("a renewal keeps the tariff; use a plan change")
            if not tariff.active or tariff.is_trial:
                raise TariffUnavailable(f"tariff {tariff.code} is not on sale")
            return tariff, subscription

        if not request.tariff_code:
            raise TariffNotFound("no tariff given")
        tariff = await self._tariffs.get_by_code(request.tariff_code)
        if tariff is None:
            raise TariffNotFound(f"no tariff {request.tariff_code}")
        tariff.ensure_purchasable_by(customer)
        if request.purpose is PaymentPurpose.PLAN_CHANGE:
            assert subscription is not None
            if not subscription.is_live:
                raise PlanChangeNotAllowed("only an active subscription can change plan")
            if subscription.tariff_id == tariff.id:
                raise PlanChangeNotAllowed("already on this tariff")
        return tariff, subscription

    async def _promo(
        self, customer: Customer, text: str, tariff: Tariff, now: datetime, for_update: bool
    ) -> PromoCode:
        code = normalise_code(text)
        promo = await self._promos.get_by_code(code, for_update=for_update)
        if promo is None:
            raise PromoCodeNotFound(code)
        uses = await self._promos.customer_uses(promo.id, customer.id)
        promo.check(customer=customer, now=now, customer_uses=uses, tariff_id=tariff.id)
        if not promo.kind.applies_at_checkout:
            raise PromoCodeNotApplicable(f"{promo.kind} codes are redeemed, not used at checkout")
        return promo


# -- payments ------------------------------------------------------------------------


async def find_payment(
    payments: PaymentRepository,
    *,
    provider: PaymentProvider,
    payment_id: PaymentId | None,
    provider_payment_id: str | None,
) -> Payment:
    """Locate (and lock) the payment a provider speaks about."""
    payment: Payment | None = None
    if payment_id is not None:
        payment = await payments.get(payment_id, for_update=True)
    elif provider_payment_id is not None:
        payment = await payments.get_by_provider_id(provider, provider_payment_id, for_update=True)
    if payment is None or payment.provider is not provider:
        raise PaymentNotFound(f"{provider} payment {payment_id or provider_payment_id}")
    if (
        provider_payment_id is not None
        and payment.provider_payment_id is not None
        and payment.provider_payment_id != provider_payment_id
    ):
        raise PaymentNotFound("provider payment id does not match our payment")
    return payment


# -- promo reservations ----------------------------------------------------------------


async def release_promo(promos: PromoCodeRepository, payment: Payment) -> bool:
    """Give back the promo use reserved for ``payment`` (it will never complete)."""
    code = payment.quote.promo_code
    if not code:
        return False
    promo = await promos.get_by_code(code, for_update=True)
    if promo is None:
        return False
    if not await promos.remove_redemption(promo.id, payment.id):
        return False
    promo.release()
    await promos.save(promo)
    return True


# -- accesses --------------------------------------------------------------------------


async def place_access(
    *,
    accesses: AccessRepository,
    panels: PanelRegistry,
    outbox: Outbox,
    subscription: Subscription,
    binding: PanelBinding,
    now: datetime,
    paid_at: datetime | None = None,
) -> Access:
    """Create the access on the least-loaded panel of the binding (pure placement from
    ``count_by_panel``: no network inside the transaction) and queue its provisioning
    (``paid_at``: when a payment asked for it)."""
    load = await accesses.count_by_panel()
    panel_id = choose_panel(panels.candidates(binding.panel), load)
    access = Access.new(
        id=AccessId(uuid4()),
        subscription_id=subscription.id,
        customer_id=subscription.customer_id,
        panel_id=panel_id,
        now=now,
    )
    access.desire(subscription.desired_access)  # a suspended purchase is placed disabled
    await accesses.add(access)
    await enqueue_sync(outbox, access, now, paid_at=paid_at)
    return access


async def resync_accesses(
    *,
    accesses: AccessRepository,
    outbox: Outbox,
    subscription: Subscription,
    now: datetime,
    paid_at: datetime | None = None,
) -> list[Access]:
    """Derive every access's desired state from the subscription and queue a sync
    (expiry or limits may have changed even when the desired state did not)."""
    touched: list[Access] = []
    for access in await accesses.for_subscription(subscription.id, for_update=True):
        if access.desired is DesiredState.DELETED:
            continue
        if not access.desire(subscription.desired_access):
            access.request_sync()
        await accesses.save(access)
        await enqueue_sync(outbox, access, now, paid_at=paid_at)
        touched.append(access)
    return touched


# -- fulfilment of a succeeded payment ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Fulfilled:
    subscription_id: SubscriptionId | None = None
    expires_at: datetime | None = None
    reactivated: bool = False
    balance_credited: Money | None = None
    referrer_rewarded: bool = False
    new_access: bool = False
    """A new subscription with a new access: its access card will announce it."""


def _with_flag(payment: Payment, note: str) -> str:
    """Add ``note`` to what is already flagged on the payment (nothing is lost)."""
    return f"{payment.flagged}; {note}" if payment.flagged else note


def daily_value(tariff: Tariff, days: int, currency: Currency) -> Decimal | None:
    """Value of one day on ``tariff``: the option of the same length (or the shortest)."""
    option = next((o for o in tariff.options if o.days == days), tariff.options[0])
    try:
        return option.daily_value(currency)
    except PriceUnavailable:
        return None


class Fulfilment:
    """Everything a succeeded payment causes, inside the caller's transaction: balance
    debit, the purchase itself, ``has_purchased``, the referrer's reward, outbox syncs,
    notifications and alerts. Called exactly once per payment (after ``mark_succeeded``
    returned True)."""

    def __init__(
        self,
        *,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        panels: PanelRegistry,
        policy: ShopPolicy,
    ) -> None:
        self._customers = customers
        self._tariffs = tariffs
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._outbox = outbox
        self._panels = panels
        self._policy = policy
        self._banned = False

    async def apply(self, payment: Payment, now: datetime) -> Fulfilled:
        customer = await self._customers.get(payment.customer_id, for_update=True)
        if customer is None:
            raise CustomerNotFound(str(payment.customer_id))
        first_purchase = not customer.has_purchased
        self._debit_balance(customer, payment, now)

        invitee_days = (
            self._policy.referral.invitee_bonus_days
            if first_purchase and customer.referrer_id is not None
            else 0
        )
        self._banned = customer.banned
        if payment.purpose is PaymentPurpose.TOP_UP:
            result = self._top_up(customer, payment, now)
        elif payment.purpose is PaymentPurpose.RENEWAL:
            result = await self._renew(payment, now, invitee_days)
        elif payment.purpose is PaymentPurpose.PLAN_CHANGE:
            result = await self._change_plan(payment, now, invitee_days)
        else:
            result = await self._start(payment, now, invitee_days)
        if customer.banned and payment.purpose is not PaymentPurpose.TOP_UP:
            await self._flag_banned(payment, now)

        rewarded = False
        if payment.purpose is not PaymentPurpose.TOP_UP:
            customer.has_purchased = True
            rewarded = await self._reward_referrer(customer, payment, first_purchase, now)
        await self._customers.save(customer)

        if result.reactivated and result.subscription_id and result.expires_at:
            intent = reactivated(customer.id, result.subscription_id, result.expires_at)
        else:
            intent = Intent(
                kind=IntentKind.PAYMENT_RECEIVED,
                customer_id=customer.id,
                subscription_id=result.subscription_id,
                payment_id=payment.id,
                amount=payment.amount,
                days=payment.quote.days or None,
                expires_at=result.expires_at,
            )
        if intent.kind is IntentKind.PAYMENT_RECEIVED and result.new_access:
            # the access card usually follows within seconds: it alone tells the customer
            # (this "payment received" goes only if the card is late, and never after it)
            delay = self._policy.payment_received_delay
            await enqueue_receipt(self._outbox, intent, now, delay)
        else:
            await enqueue_notify(self._outbox, intent, now)
        await self._alert_if_large(payment, now)
        return Fulfilled(
            subscription_id=result.subscription_id,
            expires_at=result.expires_at,
            reactivated=result.reactivated,
            balance_credited=result.balance_credited,
            referrer_rewarded=rewarded,
        )

    async def _flag_banned(self, payment: Payment, now: datetime) -> None:
        """The provider took the money of a customer banned since checkout: the purchase
        is recorded (so an unban or a refund can settle it) but held suspended, and the
        seller decides."""
        payment.flagged = _with_flag(
            payment, "customer banned: paid period held suspended until unban or refund"
        )
        await enqueue_alert(
            self._outbox,
            Alert(
                kind=AlertKind.LATE_PAYMENT,
                text=f"Payment {payment.id} of banned customer {payment.customer_id} was "
                "credited to a suspended subscription: unban or refund it by hand.",
            ),
            now,
            f"banned-payment:{payment.id}",
        )

    def _hold_if_banned(self, subscription: Subscription) -> None:
        if self._banned and subscription.status is not SubscriptionStatus.SUSPENDED:
            subscription.suspend(SuspensionReason.BAN)

    def _debit_balance(self, customer: Customer, payment: Payment, now: datetime) -> None:
        used = payment.quote.balance_applied
        if not used.is_positive:
            return
        if used.currency is not customer.balance.currency or used > customer.balance:
            # The balance was spent elsewhere since the quote: take what is there and
            # let a human settle the difference.
            available = customer.balance if used.currency is customer.balance.currency else None
            payment.flagged = _with_flag(
                payment, f"balance short: quoted {used}, available {available}"
            )
            if available is None or not available.is_positive:
                return
            used = available
        try:
            customer.debit(
                used, BalanceReason.PURCHASE, now, entry_id=uuid4(), reference=str(payment.id)
            )
        except InsufficientBalance:  # pragma: no cover - guarded above
            payment.flagged = _with_flag(payment, "balance short")

    def _top_up(self, customer: Customer, payment: Payment, now: datetime) -> Fulfilled:
        amount = payment.confirmed_amount or payment.amount
        customer.credit(
            amount, BalanceReason.TOP_UP, now, entry_id=uuid4(), reference=str(payment.id)
        )
        return Fulfilled(balance_credited=amount)

    async def _tariff(self, payment: Payment) -> Tariff:
        if payment.tariff_id is None:
            raise TariffNotFound("payment names no tariff")
        tariff = await self._tariffs.get(payment.tariff_id)
        if tariff is None:
            raise TariffNotFound(str(payment.tariff_id))
        return tariff

    def _days(self, payment: Payment, invitee_days: int) -> int:
        return payment.quote.days + payment.quote.bonus_days + invitee_days

    async def _start(self, payment: Payment, now: datetime, invitee_days: int) -> Fulfilled:
        tariff = await self._tariff(payment)
        option = tariff.option(payment.quote.days)
        subscription = Subscription.start(
            id=SubscriptionId(uuid4()),
            customer_id=payment.customer_id,
            tariff=tariff,
            period=option.period,
            now=now,
            bonus_days=payment.quote.bonus_days + invitee_days,
        )
        self._hold_if_banned(subscription)
        await self._subscriptions.add(subscription)
        await place_access(
            accesses=self._accesses,
            panels=self._panels,
            outbox=self._outbox,
            subscription=subscription,
            binding=tariff.binding,
            now=now,
            paid_at=now,
        )
        payment.subscription_id = subscription.id
        return Fulfilled(
            subscription_id=subscription.id, expires_at=subscription.expires_at, new_access=True
        )

    async def _live_or_none(self, payment: Payment) -> Subscription | None:
        if payment.subscription_id is None:
            return None
        return await self._subscriptions.get(payment.subscription_id, for_update=True)

    async def _renew(self, payment: Payment, now: datetime, invitee_days: int) -> Fulfilled:
        subscription = await self._live_or_none(payment)
        if subscription is None or subscription.status is SubscriptionStatus.CANCELLED:
            return await self._start(payment, now, invitee_days)
        if subscription.status is SubscriptionStatus.SUSPENDED:
            payment.flagged = "renewal paid for a suspended subscription"
            await enqueue_alert(
                self._outbox,
                Alert(
                    kind=AlertKind.LATE_PAYMENT,
                    text=f"Payment {payment.id} renewed suspended subscription "
                    f"{subscription.id}: nothing was extended, decide by hand.",
                ),
                now,
                f"suspended-renewal:{payment.id}",
            )
            return Fulfilled(subscription_id=subscription.id, expires_at=subscription.expires_at)
        was_reactivated = subscription.extend(self._days(payment, invitee_days), now)
        self._hold_if_banned(subscription)
        was_reactivated = was_reactivated and subscription.is_live
        await self._subscriptions.save(subscription)
        await resync_accesses(
            accesses=self._accesses,
            outbox=self._outbox,
            subscription=subscription,
            now=now,
            paid_at=now,
        )
        return Fulfilled(
            subscription_id=subscription.id,
            expires_at=subscription.expires_at,
            reactivated=was_reactivated,
        )

    async def _change_plan(self, payment: Payment, now: datetime, invitee_days: int) -> Fulfilled:
        subscription = await self._live_or_none(payment)
        if subscription is None or not subscription.is_live:
            return await self._start(payment, now, invitee_days)
        new_tariff = await self._tariff(payment)
        old_tariff = await self._tariffs.get(subscription.tariff_id)
        remaining = subscription.remaining(now)
        currency = self._policy.base_currency
        old_value = daily_value(old_tariff, payment.quote.days, currency) if old_tariff else None
        new_value = daily_value(new_tariff, payment.quote.days, currency)
        if old_value is not None and new_value is not None and new_value > 0:
            remaining = prorate(remaining, old_daily_value=old_value, new_daily_value=new_value)
        added = timedelta(days=self._days(payment, invitee_days))
        old_binding = subscription.binding
        subscription.change_plan(new_tariff, remaining=remaining + added, now=now)
        self._hold_if_banned(subscription)
        await self._subscriptions.save(subscription)
        if new_tariff.binding.panel != old_binding.panel:
            await self._move_accesses(subscription, new_tariff.binding, now)
        else:
            await resync_accesses(
                accesses=self._accesses,
                outbox=self._outbox,
                subscription=subscription,
                now=now,
                paid_at=now,
            )
        return Fulfilled(subscription_id=subscription.id, expires_at=subscription.expires_at)

    async def _move_accesses(
        self, subscription: Subscription, binding: PanelBinding, now: datetime
    ) -> None:
        allowed = set(self._panels.candidates(binding.panel))
        keep = False
        for access in await self._accesses.for_subscription(subscription.id, for_update=True):
            if access.desired is DesiredState.DELETED:
                continue
            if access.panel_id in allowed:
                keep = True
                if not access.desire(subscription.desired_access):
                    access.request_sync()
            else:
                access.desire(DesiredState.DELETED)
            await self._accesses.save(access)
            await enqueue_sync(self._outbox, access, now, paid_at=now)
        if not keep:
            await place_access(
                accesses=self._accesses,
                panels=self._panels,
                outbox=self._outbox,
                subscription=subscription,
                binding=binding,
                now=now,
                paid_at=now,
            )

    async def _reward_referrer(
        self, customer: Customer, payment: Payment, first_purchase: bool, now: datetime
    ) -> bool:
        if customer.referrer_id is None:
            return False
        policy = self._policy
        reward = referrer_reward(
            policy.referral,
            paid=payment.amount,
            first_purchase=first_purchase,
            balance_currency=Money.zero(policy.base_currency),
        )
        if reward.is_empty:
            return False
        referrer = await self._customers.get(customer.referrer_id, for_update=True)
        if referrer is None:
            return False
        if reward.balance is not None and reward.balance.is_positive:
            referrer.credit(
                reward.balance,
                BalanceReason.REFERRAL_REWARD,
                now,
                entry_id=uuid4(),
                reference=f"payment:{payment.id}",
            )
            await self._customers.save(referrer)
            intent = Intent(
                kind=IntentKind.REFERRAL_REWARD,
                customer_id=referrer.id,
                payment_id=payment.id,
                amount=reward.balance,
            )
            await enqueue_notify(self._outbox, intent, now)
            return True
        if reward.days and policy.referral.referrer_reward is ReferrerRewardKind.DAYS:
            live = [s for s in await self._subscriptions.for_customer(referrer.id) if s.is_live]
            if not live:
                return False  # days need a live subscription to land on
            # re-read under the row lock: never write back a stale copy (lost update)
            target = await self._subscriptions.get(live[0].id, for_update=True)
            if target is None or not target.is_live:
                return False
            target.extend(reward.days, now)
            await self._subscriptions.save(target)
            payment.referrer_days = reward.days  # for a refund to take back
            payment.referrer_subscription_id = target.id
            await resync_accesses(
                accesses=self._accesses, outbox=self._outbox, subscription=target, now=now
            )
            intent = Intent(
                kind=IntentKind.REFERRAL_REWARD,
                customer_id=referrer.id,
                subscription_id=target.id,
                payment_id=payment.id,
                days=reward.days,
            )
            await enqueue_notify(self._outbox, intent, now)
            return True
        return False

    async def _alert_if_large(self, payment: Payment, now: datetime) -> None:
        large = self._policy.large_payment
        paid = payment.amount
        if large is None or paid.currency is not large.currency or paid < large:
            return
        await enqueue_alert(
            self._outbox,
            Alert(
                kind=AlertKind.LARGE_PAYMENT,
                text=f"Large payment {payment.id}: {paid} via {payment.provider}.",
            ),
            now,
            f"large:{payment.id}",
        )


# -- opening a payment (checkout, pay from balance) ------------------------------------


async def reserve_promo(
    promos: PromoCodeRepository,
    promo: PromoCode,
    *,
    customer: Customer,
    payment: Payment,
    now: datetime,
) -> None:
    """Count one use of ``promo`` for ``payment`` (the promo row is locked by the caller's
    ``for_update`` load; a unique redemption backs single-use codes)."""
    uses = await promos.customer_uses(promo.id, customer.id)
    promo.redeem(customer=customer, now=now, customer_uses=uses, tariff_id=payment.tariff_id)
    await promos.save(promo)
    await promos.add_redemption(
        Redemption(
            promo_id=promo.id,
            customer_id=customer.id,
            redeemed_at=now,
            payment_id=payment.id,
            single_use=promo.max_uses_per_customer == 1,
        )
    )


def new_payment(
    customer: Customer, offer: PricedOffer, provider: PaymentProvider, now: datetime
) -> Payment:
    return Payment(
        id=PaymentId(uuid4()),
        customer_id=customer.id,
        purpose=offer.purpose,
        provider=provider,
        quote=offer.quote,
        created_at=now,
        tariff_id=offer.tariff.id if offer.tariff else None,
        subscription_id=offer.subscription.id if offer.subscription else None,
    )
