"""Activate the free trial: once per customer, only without a live subscription.

Creates the trial subscription and its access (placed without network, provisioned by
the worker through the outbox) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from vpnsales.application.interactors.payments._support import kick, load_customer, place_access
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import TrialAlreadyUsed, TrialUnavailable
from vpnsales.domain.ids import AccessId, SubscriptionId, TelegramId
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivateTrialCommand:
    telegram_id: TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialActivated:
    subscription_id: SubscriptionId
    access_id: AccessId
    expires_at: datetime
    days: int


class ActivateTrial:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        panels: PanelRegistry,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._tariffs = tariffs
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._outbox = outbox
        self._kicker = kicker
        self._panels = panels
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: ActivateTrialCommand) -> TrialActivated:
        now = self._clock.now()
        customer = await load_customer(self._customers, command.telegram_id, for_update=True)
        customer.ensure_not_banned()
        if customer.trial_used:
            raise TrialAlreadyUsed()
        code = self._policy.trial_tariff_code
        tariff = await self._tariffs.get_by_code(code) if code else None
        if tariff is None or not tariff.is_trial or not tariff.active:
            raise TrialUnavailable("no trial is offered")
        if any(s.is_live for s in await self._subscriptions.for_customer(customer.id)):
            raise TrialUnavailable("the customer already has a live subscription")
        option = tariff.options[0]
        subscription = Subscription.start(
            id=SubscriptionId(uuid4()),
            customer_id=customer.id,
            tariff=tariff,
            period=option.period,
            now=now,
        )
        await self._subscriptions.add(subscription)
        access = await place_access(
            accesses=self._accesses,
            panels=self._panels,
            outbox=self._outbox,
            subscription=subscription,
            binding=tariff.binding,
            now=now,
        )
        customer.trial_used = True
        await self._customers.save(customer)
        await self._uow.commit()
        await kick(self._kicker)
        return TrialActivated(
            subscription_id=subscription.id,
            access_id=access.id,
            expires_at=subscription.expires_at,
            days=option.days,
        )
