"""Take days from a customer's subscription (owner). Expires it when nothing is left."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._customers import (
    converge_accesses,
    pick_subscription,
    resolve_customer,
)
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.admin._snapshots import subscription_snapshot
from vpnsales.application.interactors.admin.grant_days import DaysChanged
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.repositories import (
    AccessRepository,
    AuditLog,
    CustomerRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import SubscriptionId


@dataclass(frozen=True, slots=True, kw_only=True)
class TakeDaysCommand:
    actor_telegram_id: int
    customer: str
    days: int
    subscription_id: SubscriptionId | None = None
    reason: str = ""


class TakeDays:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._customers = customers
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: TakeDaysCommand) -> DaysChanged:
        await authorize(self._admins, command.actor_telegram_id, Permission.GRANT_DAYS)
        customer = await resolve_customer(self._customers, command.customer)
        subscription = await pick_subscription(
            self._subscriptions, customer, command.subscription_id
        )
        now = self._clock.now()
        before = subscription_snapshot(subscription)
        subscription.shorten(command.days, now)
        await self._subscriptions.save(subscription)
        await converge_accesses(
            self._accesses, self._outbox, subscription, now, expiry_changed=True
        )
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="subscription.take_days",
            target=f"customer:{customer.telegram_id}",
            at=now,
            before=before,
            after={
                **subscription_snapshot(subscription),
                "days": command.days,
                "reason": command.reason,
            },
        )
        await self._uow.commit()
        return DaysChanged(
            subscription_id=subscription.id,
            expires_at=subscription.expires_at,
            live=subscription.is_live,
        )
