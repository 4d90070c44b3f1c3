"""Reset the subscription link (the old one stops working): asks for confirmation first,
then queues REVOKE_ACCESS for each access of the subscription (the worker talks to the
panel)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.errors import SubscriptionNotOwned
from vpnsales.application.interactors.payments._support import kick, load_customer
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage, TaskKicker
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.access import DesiredState
from vpnsales.domain.errors import AccessNotFound, SubscriptionNotFound
from vpnsales.domain.ids import AccessId, SubscriptionId, TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetAccessLinkCommand:
    telegram_id: TelegramId
    subscription_id: SubscriptionId
    confirmed: bool = False
    """False: only check and ask the customer to confirm."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessLinkReset:
    needs_confirmation: bool
    access_ids: tuple[AccessId, ...] = ()


class ResetAccessLink:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._outbox = outbox
        self._kicker = kicker
        self._clock = clock

    async def __call__(self, command: ResetAccessLinkCommand) -> AccessLinkReset:
        customer = await load_customer(self._customers, command.telegram_id)
        customer.ensure_not_banned()
        subscription = await self._subscriptions.get(command.subscription_id)
        if subscription is None:
            raise SubscriptionNotFound()
        if subscription.customer_id != customer.id:
            raise SubscriptionNotOwned()
        accesses = [
            a
            for a in await self._accesses.for_subscription(subscription.id)
            if a.desired is not DesiredState.DELETED and a.is_provisioned
        ]
        if not accesses:
            raise AccessNotFound("no provisioned access to reset")
        if not command.confirmed:
            await self._uow.rollback()
            return AccessLinkReset(needs_confirmation=True)
        now = self._clock.now()
        for access in accesses:
            await self._outbox.add(
                OutboxMessage(
                    id=uuid4(),
                    kind=OutboxKind.REVOKE_ACCESS,
                    payload={"access_id": str(access.id)},
                    created_at=now,
                    due_at=now,
                )
            )
        await self._uow.commit()
        await kick(self._kicker)
        return AccessLinkReset(needs_confirmation=False, access_ids=tuple(a.id for a in accesses))
