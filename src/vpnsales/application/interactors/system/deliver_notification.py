"""Deliver a notification intent to a customer (outbox NOTIFY)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.system._support import intent_from_payload
from vpnsales.application.ports.notifier import (
    AccessCard,
    DeliveryOutcome,
    Notifier,
    Recipient,
)
from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PermanentFailure, TransientFailure
from vpnsales.domain.notifications import Intent, IntentKind

_WITH_CARD = frozenset({IntentKind.ACCESS_READY, IntentKind.REACTIVATED})


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverNotificationCommand:
    intent: Intent

    @classmethod
    def from_message(cls, message: OutboxMessage) -> DeliverNotificationCommand:
        return cls(intent=intent_from_payload(message.payload))


class DeliverNotification:
    """Renders nothing itself: resolves the recipient (and the access card for
    ``access_ready``/``reactivated``), then hands the intent to the notifier.
    ``FAILED`` → ``TransientFailure`` (retried); ``BLOCKED`` is final."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        tariffs: TariffRepository,
        notifier: Notifier,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._tariffs = tariffs
        self._notifier = notifier

    async def __call__(self, command: DeliverNotificationCommand) -> DeliveryOutcome:
        intent = command.intent
        customer = await self._customers.get(intent.customer_id)
        if customer is None:
            await self._uow.commit()
            raise PermanentFailure(f"customer {intent.customer_id} not found")
        recipient = Recipient(telegram_id=customer.telegram_id, language=customer.language)
        card: AccessCard | None = None
        if intent.kind in _WITH_CARD and intent.subscription_id is not None:
            subscription = await self._subscriptions.get(intent.subscription_id)
            if subscription is not None:
                accesses = await self._accesses.for_subscription(subscription.id)
                url = next((a.subscription_url for a in accesses if a.subscription_url), None)
                tariff = await self._tariffs.get(subscription.tariff_id)
                if url:
                    card = AccessCard(
                        subscription_url=url,
                        tariff_name=tariff.name(customer.language) if tariff else "",
                        expires_at_iso=subscription.expires_at.isoformat(),
                    )
        await self._uow.commit()
        outcome = await self._notifier.notify(recipient, intent, card=card)
        if outcome is DeliveryOutcome.FAILED:
            raise TransientFailure(f"notification {intent.kind} not delivered")
        return outcome
