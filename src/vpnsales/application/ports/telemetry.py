"""Telemetry: the facts use cases report for the operator's dashboards.

Payments reaching a status, confirmations flagged for a human, how long a paid access
took to work, broadcast progress. Counting is the edges' business: the entrypoints
implement this port with Prometheus metrics; :data:`NO_TELEMETRY` records nothing (the
default of the in-memory app and of interactors built by hand).

Every method is called after the commit that made the fact true, returns at once and
never raises.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from vpnsales.application.ports.broadcast import BroadcastProgress, DeliveryStatus
from vpnsales.domain.ids import BroadcastId
from vpnsales.domain.payment import Payment


class PaymentAnomaly(StrEnum):
    AMOUNT_MISMATCH = "amount_mismatch"
    """The provider confirmed another amount or currency than the quote."""
    LATE = "late"
    """Confirmed after it had been closed here, and not credited."""


class Telemetry(Protocol):
    def payments_moved(self, *payments: Payment) -> None:
        """These payments reached their current ``status``."""
        ...

    def payment_flagged(self, payment: Payment, anomaly: PaymentAnomaly) -> None:
        """A confirmation of ``payment`` was flagged for a human and not credited."""
        ...

    def access_ready(self, waited: timedelta) -> None:
        """An access is in sync and usable on its panel ``waited`` after the payment that
        asked for it succeeded."""
        ...

    def broadcast_progress(
        self, broadcast_id: BroadcastId, progress: BroadcastProgress | None
    ) -> None:
        """Where a running broadcast stands; ``None``: it no longer runs."""
        ...

    def broadcast_delivered(self, broadcast_id: BroadcastId, status: DeliveryStatus) -> None:
        """One recipient of a broadcast was handled (sent, blocked or failed)."""
        ...


class NoTelemetry:
    """Implements :class:`Telemetry` by recording nothing."""

    def payments_moved(self, *payments: Payment) -> None:
        return None

    def payment_flagged(self, payment: Payment, anomaly: PaymentAnomaly) -> None:
        return None

    def access_ready(self, waited: timedelta) -> None:
        return None

    def broadcast_progress(
        self, broadcast_id: BroadcastId, progress: BroadcastProgress | None
    ) -> None:
        return None

    def broadcast_delivered(self, broadcast_id: BroadcastId, status: DeliveryStatus) -> None:
        return None


NO_TELEMETRY: Telemetry = NoTelemetry()
