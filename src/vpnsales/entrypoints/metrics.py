"""Prometheus metrics, one :class:`Metrics` per process with its own registry.

Built once by the composition root and shared by whoever records (web handlers, the
worker); ``/metrics`` renders :meth:`Metrics.render`. A private ``CollectorRegistry``
keeps tests and several apps in one process from colliding on global metric names.

Append-only: add new metrics at the end of ``__init__`` (several processes' authors
edit this file).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from vpnsales.entrypoints.logs import security_event

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        # -- web entrypoint ------------------------------------------------------------
        self.webhook_requests = Counter(
            "vpnsales_webhook_requests_total",
            "Webhook deliveries by source and outcome (the effect on our state).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.webhook_refusals = Counter(
            "vpnsales_webhook_refusals_total",
            "Webhook deliveries refused or ignored for a security reason.",
            ["source", "reason"],
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "vpnsales_webhook_seconds",
            "Time to answer a webhook delivery.",
            ["source"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.provider_fetches = Counter(
            "vpnsales_provider_fetches_total",
            "Payment re-fetches at the provider made for webhooks, by result.",
            ["provider", "result"],
            registry=self.registry,
        )

        # -- worker --------------------------------------------------------------------
        self.job_runs = Counter(
            "vpnsales_job_runs_total",
            "Worker job runs by job and outcome (ok, error, skipped: another run held it).",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.job_items = Counter(
            "vpnsales_job_items_total",
            "Items a job claimed, finished (done) and failed.",
            ["job", "state"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "vpnsales_job_seconds",
            "Duration of one job run.",
            ["job"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "vpnsales_outbox_pending",
            "Outbox messages not yet done or dead (as of the last periodic drain).",
            registry=self.registry,
        )
        self.outbox_lag_seconds = Gauge(
            "vpnsales_outbox_lag_seconds",
            "Age of the oldest due outbox message (as of the last periodic drain).",
            registry=self.registry,
        )
        self.outbox_dead_letters = Counter(
            "vpnsales_outbox_dead_letters_total",
            "Outbox messages dead-lettered (each one also alerts the seller).",
            registry=self.registry,
        )
        self.outbox_kicks = Counter(
            "vpnsales_outbox_kicks_total",
            "Outbox drain kicks after commits: enqueued, coalesced (one already queued), "
            "failed (the periodic drain covers it).",
            ["result"],
            registry=self.registry,
        )

        # -- bot -----------------------------------------------------------------------
        self.bot_updates = Counter(
            "vpnsales_bot_updates_total",
            "Bot updates by type (message, callback_query, pre_checkout_query, ...) and "
            "outcome (ok, unhandled, rejected: a domain error told to the customer, error).",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.bot_update_seconds = Histogram(
            "vpnsales_bot_update_seconds",
            "Time to handle one bot update (middlewares and handler).",
            ["type"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

        # -- payments and access ---------------------------------------------------------
        self.payments = Counter(
            "vpnsales_payments_total",
            "Payments reaching a status (succeeded, canceled, expired, failed, refunded).",
            ["provider", "status"],
            registry=self.registry,
        )
        self.payment_anomalies = Counter(
            "vpnsales_payment_anomalies_total",
            "Confirmations flagged for a human and not credited (amount_mismatch, late).",
            ["provider", "kind"],
            registry=self.registry,
        )
        self.time_to_access_seconds = Histogram(
            "vpnsales_time_to_access_seconds",
            "From a payment's success to its access being in sync and usable on the panel.",
            buckets=(0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0),
            registry=self.registry,
        )

        # -- panels --------------------------------------------------------------------
        self.panel_calls = Counter(
            "vpnsales_panel_calls_total",
            "Panel API calls (retries included) by panel, HTTP method and outcome "
            "(ok, rejected: a 4xx answer, unavailable: retries exhausted, circuit_open).",
            ["panel", "method", "outcome"],
            registry=self.registry,
        )
        self.panel_call_seconds = Histogram(
            "vpnsales_panel_call_seconds",
            "Duration of one panel API call, retries and their waits included.",
            ["panel", "method"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.panel_circuit_state = Gauge(
            "vpnsales_panel_circuit_state",
            "Circuit breaker of each panel: 0 closed, 1 half-open, 2 open.",
            ["panel"],
            registry=self.registry,
        )

        # -- broadcasts ----------------------------------------------------------------
        self.broadcast_messages = Counter(
            "vpnsales_broadcast_messages_total",
            "Broadcast deliveries by outcome (sent, blocked, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.broadcast_recipients = Gauge(
            "vpnsales_broadcast_recipients",
            "Recipients of the running broadcasts by state (sent, blocked, failed, pending), "
            "as this process last saw them.",
            ["state"],
            registry=self.registry,
        )

        # -- security ------------------------------------------------------------------
        self.security_events = Counter(
            "vpnsales_security_events_total",
            "Security events by kind (also logged on the vpnsales.security stream).",
            ["kind"],
            registry=self.registry,
        )

    def security_event(self, kind: str, **fields: object) -> None:
        """Log a security event on its own stream and count it (``kind``: a fixed name)."""
        security_event(kind, **fields)
        self.security_events.labels(kind).inc()

    @staticmethod
    def report(metrics: Metrics | None, kind: str, **fields: object) -> None:
        """:meth:`security_event` on ``metrics``; without one, only the log line."""
        if metrics is not None:
            metrics.security_event(kind, **fields)
        else:
            security_event(kind, **fields)

    def render(self) -> bytes:
        """The text exposition format of every metric in this registry."""
        return generate_latest(self.registry)
