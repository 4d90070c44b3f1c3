"""Pay from balance: buy, renew or change plan with the balance only, confirmed at once."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.payments._support import (
    Fulfilment,
    Pricer,
    PriceRequest,
    kick,
    load_customer,
    new_payment,
    reserve_promo,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    PaymentRepository,
    PromoCodeRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import InsufficientBalance
from vpnsales.domain.ids import PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import Quote


@dataclass(frozen=True, slots=True, kw_only=True)
class PayFromBalanceCommand:
    telegram_id: TelegramId
    tariff_code: str | None = None
    days: int = 0
    promo_code: str | None = None
    purpose: PaymentPurpose = PaymentPurpose.NEW
    subscription_id: SubscriptionId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaidFromBalance:
    payment_id: PaymentId
    quote: Quote
    subscription_id: SubscriptionId | None
    balance_left: Money


class PayFromBalance:
    """Refuses with ``InsufficientBalance`` (nothing written) when the balance does not
    cover the price after discounts."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        payments: PaymentRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        panels: PanelRegistry,
        clock: Clock,
        policy: ShopPolicy,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._telemetry = telemetry
        self._payments = payments
        self._promos = promos
        self._kicker = kicker
        self._clock = clock
        self._pricer = Pricer(
            tariffs=tariffs, subscriptions=subscriptions, promos=promos, gateways={}, policy=policy
        )
        self._fulfilment = Fulfilment(
            customers=customers,
            tariffs=tariffs,
            subscriptions=subscriptions,
            accesses=accesses,
            outbox=outbox,
            panels=panels,
            policy=policy,
        )

    async def __call__(self, command: PayFromBalanceCommand) -> PaidFromBalance:
        now = self._clock.now()
        customer = await load_customer(self._customers, command.telegram_id, for_update=True)
        offer = await self._pricer.price(
            customer,
            PriceRequest(
                purpose=command.purpose,
                provider=PaymentProvider.BALANCE,
                tariff_code=command.tariff_code,
                days=command.days,
                promo_code=command.promo_code,
                use_balance=True,
                subscription_id=command.subscription_id,
            ),
            now,
            for_update=True,
        )
        if not offer.quote.total.is_zero:
            await self._uow.rollback()
            raise InsufficientBalance(
                f"balance {customer.balance} does not cover {offer.quote.base}"
            )
        payment = new_payment(customer, offer, PaymentProvider.BALANCE, now)
        await self._payments.add(payment)
        if offer.promo is not None:
            await reserve_promo(
                self._promos, offer.promo, customer=customer, payment=payment, now=now
            )
        payment.mark_succeeded(Money.zero(offer.quote.currency), now)
        fulfilled = await self._fulfilment.apply(payment, now)
        await self._payments.save(payment)
        stored = await self._customers.get(customer.id)
        await self._uow.commit()
        self._telemetry.payments_moved(payment)
        await kick(self._kicker)
        return PaidFromBalance(
            payment_id=payment.id,
            quote=offer.quote,
            subscription_id=fulfilled.subscription_id,
            balance_left=stored.balance if stored else customer.balance,
        )
