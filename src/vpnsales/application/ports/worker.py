"""Ports used by the worker's use cases (outbox execution, payment re-checks, events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.payments import PaymentGateway, ProviderPayment
from vpnsales.domain.access import Access
from vpnsales.domain.ids import PanelId
from vpnsales.domain.payment import PaymentProvider


class TransientFailure(Exception):
    """An effect did not happen for a reason that may go away (a notification the
    notifier could not deliver now). The outbox retries it with backoff."""

    retryable = True


class PermanentFailure(Exception):
    """An effect can never happen as asked (malformed payload, unknown target)."""

    retryable = False


class OutboxHandler(Protocol):
    """Executes one outbox message idempotently. Raise to fail it: errors whose
    ``retryable`` attribute is true (and ``OSError``/``TimeoutError``) are retried."""

    async def __call__(self, message: OutboxMessage) -> None: ...


class RandomSource(Protocol):
    """Randomness for jitter, injected so tests are deterministic. Returns [0, 1)."""

    def __call__(self) -> float: ...


class PaymentConfirmer(Protocol):
    """Seam to the customer-side confirmation use case (idempotent, provider-agnostic):
    a payment the provider reports as succeeded is credited exactly once."""

    async def confirm(self, fetched: ProviderPayment) -> None: ...


class AccessLookup(Protocol):
    """Find the access behind a panel account (panel webhooks carry only panel ids)."""

    async def by_account(
        self, panel_id: PanelId, *, username: str | None, external_id: str | None
    ) -> Access | None: ...


PaymentGateways = Mapping[PaymentProvider, PaymentGateway]
"""The configured gateways by provider (a provider with none cannot be called)."""
