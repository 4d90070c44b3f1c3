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

    def render(self) -> bytes:
        """The text exposition format of every metric in this registry."""
        return generate_latest(self.registry)
