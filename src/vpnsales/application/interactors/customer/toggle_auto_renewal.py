"""Turn auto-renewal of a subscription on or off (the worker charges a saved payment
method or the balance before expiry)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.errors import SubscriptionNotOwned
from vpnsales.application.interactors.payments._support import load_customer
from vpnsales.application.ports.repositories import (
    CustomerRepository,
    PaymentRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import InvalidSubscriptionTransition, SubscriptionNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ToggleAutoRenewalCommand:
    telegram_id: TelegramId
    subscription_id: SubscriptionId
    enabled: bool | None = None
    """``None`` flips the current setting."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoRenewalToggled:
    enabled: bool
    has_saved_method: bool
    """False: renewal will only work from the balance."""


class ToggleAutoRenewal:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        payments: PaymentRepository,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._subscriptions = subscriptions
        self._payments = payments

    async def __call__(self, command: ToggleAutoRenewalCommand) -> AutoRenewalToggled:
        customer = await load_customer(self._customers, command.telegram_id)
        subscription = await self._subscriptions.get(command.subscription_id, for_update=True)
        if subscription is None:
            raise SubscriptionNotFound()
        if subscription.customer_id != customer.id:
            raise SubscriptionNotOwned()
        enabled = not subscription.auto_renew if command.enabled is None else command.enabled
        if enabled and (
            subscription.is_trial or subscription.status is SubscriptionStatus.CANCELLED
        ):
            raise InvalidSubscriptionTransition("this subscription cannot renew automatically")
        has_method = any(
            p.saved_method_id and p.status is PaymentStatus.SUCCEEDED
            for p in await self._payments.for_customer(customer.id, limit=50)
        )
        if subscription.auto_renew is not enabled:
            subscription.auto_renew = enabled
            await self._subscriptions.save(subscription)
            await self._uow.commit()
        else:
            await self._uow.rollback()
        return AutoRenewalToggled(enabled=enabled, has_saved_method=has_method)
