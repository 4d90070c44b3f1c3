"""The Prometheus implementations of ``Telemetry`` and ``PanelObserver``, and security
events (their own log stream and a counter)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from vpnsales.adapters.panels import CallOutcome
from vpnsales.application.ports.broadcast import BroadcastProgress, DeliveryStatus
from vpnsales.application.ports.panels import CircuitState
from vpnsales.application.ports.telemetry import PaymentAnomaly
from vpnsales.domain.ids import BroadcastId, CustomerId, PaymentId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import make_quote
from vpnsales.entrypoints.logs import SECURITY_LOGGER
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.telemetry import PanelMetrics, PrometheusTelemetry
from vpnsales.testing.builders import rub

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _payment(provider: PaymentProvider, status: PaymentStatus) -> Payment:
    return Payment(
        id=PaymentId(uuid4()),
        customer_id=CustomerId(uuid4()),
        purpose=PaymentPurpose.NEW,
        provider=provider,
        quote=make_quote(rub(300), tariff_id=None, days=30),
        created_at=NOW,
        status=status,
    )


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_payments_are_counted_by_provider_and_status() -> None:
    metrics = Metrics()
    telemetry = PrometheusTelemetry(metrics)

    telemetry.payments_moved(_payment(PaymentProvider.YOOKASSA, PaymentStatus.SUCCEEDED))
    telemetry.payments_moved(
        _payment(PaymentProvider.STARS, PaymentStatus.EXPIRED),
        _payment(PaymentProvider.STARS, PaymentStatus.EXPIRED),
    )

    name = "vpnsales_payments_total"
    assert _value(metrics, name, provider="yookassa", status="succeeded") == 1
    assert _value(metrics, name, provider="stars", status="expired") == 2
    assert _value(metrics, name, provider="stars", status="succeeded") == 0


def test_an_amount_mismatch_is_an_anomaly_and_a_security_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    payment = _payment(PaymentProvider.CRYPTOPAY, PaymentStatus.PENDING)

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        PrometheusTelemetry(metrics).payment_flagged(payment, PaymentAnomaly.AMOUNT_MISMATCH)
        PrometheusTelemetry(metrics).payment_flagged(payment, PaymentAnomaly.LATE)

    assert (
        _value(
            metrics,
            "vpnsales_payment_anomalies_total",
            provider="cryptopay",
            kind="amount_mismatch",
        )
        == 1
    )
    assert (
        _value(metrics, "vpnsales_payment_anomalies_total", provider="cryptopay", kind="late") == 1
    )
    assert _value(metrics, "vpnsales_security_events_total", kind="payment_amount_mismatch") == 1
    (record,) = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    assert record.getMessage() == "payment_amount_mismatch"
    assert record.fields["payment_id"] == payment.id  # type: ignore[attr-defined]
    # the id is in the log line, never a label
    assert str(payment.id) not in metrics.render().decode()


def test_time_to_access_is_a_histogram_of_seconds() -> None:
    metrics = Metrics()
    telemetry = PrometheusTelemetry(metrics)

    telemetry.access_ready(timedelta(seconds=4))
    telemetry.access_ready(timedelta(minutes=10))

    assert _value(metrics, "vpnsales_time_to_access_seconds_count") == 2
    assert _value(metrics, "vpnsales_time_to_access_seconds_sum") == 604
    assert _value(metrics, "vpnsales_time_to_access_seconds_bucket", le="5.0") == 1


def test_broadcast_gauges_follow_the_running_broadcasts() -> None:
    metrics = Metrics()
    telemetry = PrometheusTelemetry(metrics)
    first, second = BroadcastId(uuid4()), BroadcastId(uuid4())
    gauge = "vpnsales_broadcast_recipients"

    telemetry.broadcast_progress(first, BroadcastProgress(total=10, sent=2, blocked=0, failed=0))
    telemetry.broadcast_progress(second, BroadcastProgress(total=5, sent=0, blocked=0, failed=0))
    telemetry.broadcast_delivered(first, DeliveryStatus.SENT)
    telemetry.broadcast_delivered(second, DeliveryStatus.BLOCKED)

    assert _value(metrics, gauge, state="sent") == 3
    assert _value(metrics, gauge, state="blocked") == 1
    assert _value(metrics, gauge, state="pending") == 7 + 4
    assert _value(metrics, "vpnsales_broadcast_messages_total", outcome="sent") == 1
    assert _value(metrics, "vpnsales_broadcast_messages_total", outcome="blocked") == 1

    telemetry.broadcast_progress(first, None)

    assert _value(metrics, gauge, state="sent") == 0
    assert _value(metrics, gauge, state="pending") == 4


def test_panel_calls_latency_and_circuit_state() -> None:
    metrics = Metrics()
    observer = PanelMetrics(metrics)

    observer.call_finished("rw", "get", CallOutcome.OK, 0.2)
    observer.call_finished("rw", "POST", CallOutcome.UNAVAILABLE, 3.0)
    observer.call_finished("rw", "POST", CallOutcome.CIRCUIT_OPEN, 0.0)
    observer.circuit_changed("rw", CircuitState.OPEN)

    calls = "vpnsales_panel_calls_total"
    assert _value(metrics, calls, panel="rw", method="GET", outcome="ok") == 1
    assert _value(metrics, calls, panel="rw", method="POST", outcome="unavailable") == 1
    assert _value(metrics, calls, panel="rw", method="POST", outcome="circuit_open") == 1
    # refusals at once are not latencies
    assert _value(metrics, "vpnsales_panel_call_seconds_count", panel="rw", method="POST") == 1
    assert _value(metrics, "vpnsales_panel_circuit_state", panel="rw") == 2

    observer.circuit_changed("rw", CircuitState.HALF_OPEN)
    assert _value(metrics, "vpnsales_panel_circuit_state", panel="rw") == 1
    observer.circuit_changed("rw", CircuitState.CLOSED)
    assert _value(metrics, "vpnsales_panel_circuit_state", panel="rw") == 0


def test_security_events_go_to_their_own_logger_and_counter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        metrics.security_event("webhook_refused", source="yookassa", reason="source_ip")
        metrics.security_event("webhook_refused", source="cryptopay", reason="signature")

    assert _value(metrics, "vpnsales_security_events_total", kind="webhook_refused") == 2
    assert [r.name for r in caplog.records] == [SECURITY_LOGGER, SECURITY_LOGGER]
