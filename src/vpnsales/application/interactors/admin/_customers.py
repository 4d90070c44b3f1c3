"""Finding a customer from what an admin types, re-syncing accesses, and the
constructor the admin actions on customers share."""

from __future__ import annotations

from datetime import datetime

from vpnsales.application.common import enqueue_sync
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
from vpnsales.domain.access import DesiredState
from vpnsales.domain.customer import Customer
from vpnsales.domain.errors import CustomerNotFound, SubscriptionNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.subscription import Subscription, SubscriptionStatus


class CustomerAction:
    """What an admin action on a customer and their subscriptions works with (ban,
    unban, grant and take days): one constructor for all of them."""

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


async def resolve_customer(
    customers: CustomerRepository, query: str | int, *, for_update: bool = False
) -> Customer:
    """``123456789`` (Telegram id) or ``@username`` / ``username``."""
    text = str(query).strip()
    customer: Customer | None
    if text.lstrip("-").isdigit():
        customer = await customers.get_by_telegram_id(TelegramId(int(text)), for_update=for_update)
    else:
        customer = await customers.get_by_username(text.lstrip("@"))
        if customer is not None and for_update:
            customer = await customers.get(customer.id, for_update=True)
    if customer is None:
        raise CustomerNotFound(text)
    return customer


async def converge_accesses(
    accesses: AccessRepository,
    outbox: Outbox,
    subscription: Subscription,
    now: datetime,
    *,
    expiry_changed: bool,
) -> int:
    """Point the subscription's accesses at its desired state; queue the syncs."""
    queued = 0
    for access in await accesses.for_subscription(subscription.id, for_update=True):
        if access.desired is DesiredState.DELETED:
            continue
        changed = access.desire(subscription.desired_access)
        if not changed and expiry_changed:
            access.request_sync()
            changed = True
        if changed:
            await accesses.save(access)
            await enqueue_sync(outbox, access, now)
            queued += 1
    return queued


async def pick_subscription(
    subscriptions: SubscriptionRepository,
    customer: Customer,
    subscription_id: SubscriptionId | None,
) -> Subscription:
    """The one asked for (it must be the customer's), else the live one, else the most
    recent that is not cancelled."""
    if subscription_id is not None:
        chosen = await subscriptions.get(subscription_id, for_update=True)
        if chosen is None or chosen.customer_id != customer.id:
            raise SubscriptionNotFound(str(subscription_id))
        return chosen
    owned = [
        s
        for s in await subscriptions.for_customer(customer.id)
        if s.status is not SubscriptionStatus.CANCELLED
    ]
    owned.sort(key=lambda s: (s.is_live, s.expires_at), reverse=True)
    if not owned:
        raise SubscriptionNotFound(f"customer {customer.telegram_id} has no subscription")
    found = await subscriptions.get(owned[0].id, for_update=True)
    if found is None:
        raise SubscriptionNotFound(str(owned[0].id))
    return found
