"""Start checkout: create our payment, then the provider's, and hand back where to pay.

1. One transaction: validate (customer, tariff, promo), price, create the ``Payment`` and
   reserve the promo use for it; COMMIT.
2. No transaction: ask the gateway to create the payment (idempotent by our id).
3. One transaction: attach the provider id / pay URL. If the gateway failed, mark the
   payment failed and release the promo instead.

A quote fully covered by the balance (or free) is confirmed at once, without a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vpnsales.application.interactors.payments._support import (
    Fulfilment,
    Pricer,
    PriceRequest,
    kick,
    load_customer,
    new_payment,
    release_promo,
    reserve_promo,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    PaymentGateway,
    PaymentGatewayError,
)
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
from vpnsales.domain.errors import InsufficientBalance, PaymentNotFound, PaymentProviderUnavailable
from vpnsales.domain.ids import PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import Quote


@dataclass(frozen=True, slots=True, kw_only=True)
class StartCheckoutCommand:
    telegram_id: TelegramId
    provider: PaymentProvider
    tariff_code: str | None = None
    days: int = 0
    currency: Currency | None = None
    promo_code: str | None = None
    use_balance: bool = False
    purpose: PaymentPurpose = PaymentPurpose.NEW
    subscription_id: SubscriptionId | None = None
    top_up: Money | None = None
    save_payment_method: bool = False
    return_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutStarted:
    payment_id: PaymentId
    status: PaymentStatus
    """PENDING: go to ``pay_url``; SUCCEEDED: paid from balance at once."""
    provider: PaymentProvider
    quote: Quote
    pay_url: str | None = None
    provider_payment_id: str | None = None
    subscription_id: SubscriptionId | None = None


class StartCheckout:
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
        gateways: Mapping[PaymentProvider, PaymentGateway],
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
        self._gateways = gateways
        self._clock = clock
        self._policy = policy
        self._pricer = Pricer(
            tariffs=tariffs,
            subscriptions=subscriptions,
            promos=promos,
            gateways=gateways,
            policy=policy,
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

    async def __call__(self, command: StartCheckoutCommand) -> CheckoutStarted:
        now = self._clock.now()
        # -- transaction 1: validate, price, create the payment, reserve the promo -----
        customer = await load_customer(self._customers, command.telegram_id, for_update=True)
        offer = await self._pricer.price(
            customer,
            PriceRequest(
                purpose=command.purpose,
                provider=command.provider,
                tariff_code=command.tariff_code,
                days=command.days,
                currency=command.currency,
                promo_code=command.promo_code,
                use_balance=command.use_balance,
                subscription_id=command.subscription_id,
                top_up=command.top_up,
            ),
            now,
            for_update=True,
        )
        quote = offer.quote
        internal = quote.total.is_zero or command.provider is PaymentProvider.BALANCE
        if internal and not quote.total.is_zero:
            raise InsufficientBalance(f"balance covers {quote.balance_applied} of {quote.total}")
        provider = PaymentProvider.BALANCE if internal else command.provider
        payment = new_payment(customer, offer, provider, now)
        await self._payments.add(payment)
        if offer.promo is not None:
            await reserve_promo(
                self._promos, offer.promo, customer=customer, payment=payment, now=now
            )

        if internal:  # nothing to charge: confirm in the same transaction
            payment.mark_succeeded(Money.zero(quote.currency), now)
            fulfilled = await self._fulfilment.apply(payment, now)
            await self._payments.save(payment)
            await self._uow.commit()
            self._telemetry.payments_moved(payment)
            await kick(self._kicker)
            return CheckoutStarted(
                payment_id=payment.id,
                status=payment.status,
                provider=provider,
                quote=quote,
                subscription_id=fulfilled.subscription_id,
            )
        await self._uow.commit()

        # -- no transaction: the provider ------------------------------------------------
        gateway = self._gateways[provider]
        description = self._description(
            offer.tariff.name(customer.language) if offer.tariff else None, quote
        )
        request = CheckoutRequest(
            payment_id=payment.id,
            amount=quote.total,
            description=description,
            telegram_id=customer.telegram_id,
            return_url=command.return_url,
            save_payment_method=command.save_payment_method,
            expires_in_seconds=int(self._policy.payment_ttl.total_seconds()),
            title=description[:32],
        )
        try:
            created = await gateway.create(request)
        except PaymentGatewayError as exc:
            await self._fail(payment.id, f"provider error: {type(exc).__name__}")
            raise PaymentProviderUnavailable(str(exc)) from exc

        # -- transaction 2: attach the provider's id -------------------------------------
        stored = await self._payments.get(payment.id, for_update=True)
        if stored is None:  # pragma: no cover - deleted under our feet
            raise PaymentNotFound(str(payment.id))
        if stored.status is PaymentStatus.PENDING and stored.provider_payment_id is None:
            stored.attach_provider(created.provider_payment_id, created.pay_url)
            await self._payments.save(stored)
            await self._uow.commit()
        else:
            await self._uow.rollback()
        return CheckoutStarted(
            payment_id=stored.id,
            status=stored.status,
            provider=provider,
            quote=quote,
            pay_url=created.pay_url,
            provider_payment_id=created.provider_payment_id,
        )

    async def _fail(self, payment_id: PaymentId, reason: str) -> None:
        now = self._clock.now()
        payment = await self._payments.get(payment_id, for_update=True)
        if payment is not None and payment.status is PaymentStatus.PENDING:
            payment.mark_failed(now, reason)
            await self._payments.save(payment)
            await release_promo(self._promos, payment)
            await self._uow.commit()
            self._telemetry.payments_moved(payment)
            return
        await self._uow.commit()

    @staticmethod
    def _description(tariff_name: str | None, quote: Quote) -> str:
        if tariff_name is None:
            return "Balance top-up"
        return f"{tariff_name}, {quote.days} days"
