"""Recording notifier and admin alerter: deliveries are kept in lists."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.ports.notifier import (
    AccessCard,
    Alert,
    AlertKind,
    DeliveryOutcome,
    Recipient,
)
from vpnsales.domain.notifications import Intent, IntentKind


@dataclass(frozen=True, slots=True)
class Delivery:
    recipient: Recipient
    intent: Intent | None
    card: AccessCard | None = None
    text: str | None = None


class RecordingNotifier:
    """Implements ``Notifier``. ``blocked`` telegram ids answer BLOCKED; ``failing``
    counts down transient failures."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.blocked: set[int] = set()
        self.failing = 0

    def _outcome(self, recipient: Recipient) -> DeliveryOutcome:
        if recipient.telegram_id in self.blocked:
            return DeliveryOutcome.BLOCKED
        if self.failing > 0:
            self.failing -= 1
            return DeliveryOutcome.FAILED
        return DeliveryOutcome.SENT

    async def notify(
        self, recipient: Recipient, intent: Intent, *, card: AccessCard | None = None
    ) -> DeliveryOutcome:
        outcome = self._outcome(recipient)
        if outcome is DeliveryOutcome.SENT:
            self.deliveries.append(Delivery(recipient, intent, card))
        return outcome

    async def send_text(self, recipient: Recipient, text: str) -> DeliveryOutcome:
        outcome = self._outcome(recipient)
        if outcome is DeliveryOutcome.SENT:
            self.deliveries.append(Delivery(recipient, None, text=text))
        return outcome

    def intents(
        self, kind: IntentKind | None = None, telegram_id: int | None = None
    ) -> list[Intent]:
        return [
            d.intent
            for d in self.deliveries
            if d.intent is not None
            and (kind is None or d.intent.kind is kind)
            and (telegram_id is None or d.recipient.telegram_id == telegram_id)
        ]

    def kinds(self) -> list[IntentKind]:
        return [d.intent.kind for d in self.deliveries if d.intent is not None]


class RecordingAlerter:
    """Implements ``AdminAlerter``."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def kinds(self) -> list[AlertKind]:
        return [a.kind for a in self.alerts]
