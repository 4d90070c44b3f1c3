"""Deliver a notification intent to a customer (outbox NOTIFY)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpnsales.application.common import receipt_key
from vpnsales.application.interactors.system._support import intent_from_payload
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import (
    AccessCard,
    DeliveryOutcome,
    Notifier,
    Recipient,
)
from vpnsales.application.ports.outbox import Outbox, OutboxMessage, Withdrawal
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PermanentFailure, TransientFailure
from vpnsales.domain.access import Access, DesiredState
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
    ``FAILED`` → ``TransientFailure`` (retried); ``BLOCKED`` is final.

    The ``access_ready`` card withdraws its purchase's deferred "payment received" (the
    card says it all); if that receipt is being sent right now, the card waits for it
    (``TransientFailure``, retried shortly), so the receipt never comes after the card."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        tariffs: TariffRepository,
        notifier: Notifier,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._outbox = outbox
        self._clock = clock
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
                url = _link(await self._accesses.for_subscription(subscription.id), intent)
                tariff = await self._tariffs.get(subscription.tariff_id)
                if url:
                    card = AccessCard(
                        subscription_url=url,
                        tariff_name=tariff.name(customer.language) if tariff else "",
                        expires_at_iso=subscription.expires_at.isoformat(),
                    )
        if intent.kind is IntentKind.ACCESS_READY and intent.subscription_id is not None:
            key = receipt_key(intent.subscription_id)
            if await self._outbox.withdraw(key, self._clock.now()) is Withdrawal.RUNNING:
                await self._uow.rollback()
                raise TransientFailure("the payment receipt is being sent: the card follows")
        await self._uow.commit()
        outcome = await self._notifier.notify(recipient, intent, card=card)
        if outcome is DeliveryOutcome.FAILED:
            raise TransientFailure(f"notification {intent.kind} not delivered")
        return outcome


def _link(accesses: Sequence[Access], intent: Intent) -> str | None:
    """The link the card shows: of the access it is about, else of an access that is
    kept (not one being deleted after a move to another panel)."""
    if intent.access_id is not None:
        named = next((a for a in accesses if a.id == intent.access_id), None)
        if named is not None and named.subscription_url:
            return named.subscription_url
    kept = [a for a in accesses if a.desired is not DesiredState.DELETED and a.subscription_url]
    return kept[0].subscription_url if kept else None
