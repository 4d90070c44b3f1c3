"""The Prometheus side of the application's ``Telemetry`` port and of the panels'
``PanelObserver``: both record into the process's :class:`Metrics`.

Label values are bounded: providers, statuses, panel ids from the settings, HTTP
methods, fixed outcome names. Never a customer, payment or broadcast id (those go to
the security log lines, where they belong).
"""

from __future__ import annotations

from datetime import timedelta

from vpnsales.adapters.panels import CallOutcome
from vpnsales.application.ports.broadcast import BroadcastProgress, DeliveryStatus
from vpnsales.application.ports.panels import CircuitState
from vpnsales.application.ports.telemetry import PaymentAnomaly
from vpnsales.domain.ids import BroadcastId
from vpnsales.domain.payment import Payment
from vpnsales.entrypoints.metrics import Metrics

__all__ = ["CIRCUIT_VALUES", "PanelMetrics", "PrometheusTelemetry"]

CIRCUIT_VALUES = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}
"""``vpnsales_panel_circuit_state`` values."""

_RECIPIENT_STATES = ("sent", "blocked", "failed", "pending")


class PrometheusTelemetry:
    """Implements ``application.ports.telemetry.Telemetry``."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._broadcasts: dict[BroadcastId, dict[str, int]] = {}

    def payments_moved(self, *payments: Payment) -> None:
        counter = self._metrics.payments
        for payment in payments:
            counter.labels(payment.provider.value, payment.status.value).inc()

    def payment_flagged(self, payment: Payment, anomaly: PaymentAnomaly) -> None:
        self._metrics.payment_anomalies.labels(payment.provider.value, anomaly.value).inc()
        if anomaly is PaymentAnomaly.AMOUNT_MISMATCH:
            self._metrics.security_event(
                "payment_amount_mismatch",
                provider=payment.provider.value,
                payment_id=payment.id,
                detail=payment.flagged,
            )

    def access_ready(self, waited: timedelta) -> None:
        self._metrics.time_to_access_seconds.observe(max(0.0, waited.total_seconds()))

    def broadcast_progress(
        self, broadcast_id: BroadcastId, progress: BroadcastProgress | None
    ) -> None:
        if progress is None or not progress.pending:
            self._broadcasts.pop(broadcast_id, None)
        else:
            self._broadcasts[broadcast_id] = {
                "sent": progress.sent,
                "blocked": progress.blocked,
                "failed": progress.failed,
                "pending": progress.pending,
            }
        self._publish()

    def broadcast_delivered(self, broadcast_id: BroadcastId, status: DeliveryStatus) -> None:
        self._metrics.broadcast_messages.labels(status.value).inc()
        counts = self._broadcasts.get(broadcast_id)
        if counts is not None and status.value in counts:
            counts[status.value] += 1
            counts["pending"] = max(0, counts["pending"] - 1)
            self._publish()

    def _publish(self) -> None:
        gauge = self._metrics.broadcast_recipients
        for state in _RECIPIENT_STATES:
            gauge.labels(state).set(sum(c[state] for c in self._broadcasts.values()))


class PanelMetrics:
    """Implements ``adapters.panels.PanelObserver``: calls, latency and circuit states."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def call_finished(
        self, panel_id: str, method: str, outcome: CallOutcome, seconds: float
    ) -> None:
        method = method.upper()
        self._metrics.panel_calls.labels(panel_id, method, outcome.value).inc()
        if outcome is not CallOutcome.CIRCUIT_OPEN:
            self._metrics.panel_call_seconds.labels(panel_id, method).observe(seconds)

    def circuit_changed(self, panel_id: str, state: CircuitState) -> None:
        self._metrics.panel_circuit_state.labels(panel_id).set(CIRCUIT_VALUES[state])
