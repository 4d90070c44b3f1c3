"""Delivering notifications: intents are rendered at the edge in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from vpnsales.domain.customer import Language
from vpnsales.domain.notifications import Intent


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    """The customer blocked the bot or deleted the account: don't retry."""
    FAILED = "failed"
    """Transient failure: retry later."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    telegram_id: int
    language: Language


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessCard:
    """What the customer needs to connect (attached to access_ready/reactivated)."""

    subscription_url: str
    tariff_name: str
    expires_at_iso: str


class Notifier(Protocol):
    async def notify(
        self, recipient: Recipient, intent: Intent, *, card: AccessCard | None = None
    ) -> DeliveryOutcome: ...

    async def send_text(self, recipient: Recipient, text: str) -> DeliveryOutcome:
        """An admin-written message, sent as is."""
        ...


class AlertKind(StrEnum):
    AMOUNT_MISMATCH = "amount_mismatch"
    LATE_PAYMENT = "late_payment"
    PANEL_UNREACHABLE = "panel_unreachable"
    DEAD_LETTER = "dead_letter"
    LARGE_PAYMENT = "large_payment"
    DAILY_SUMMARY = "daily_summary"
    REFUND = "refund"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    kind: AlertKind
    text: str
    """Plain English facts for the seller (ids, amounts); never secrets."""


class AdminAlerter(Protocol):
    async def alert(self, alert: Alert) -> None: ...
