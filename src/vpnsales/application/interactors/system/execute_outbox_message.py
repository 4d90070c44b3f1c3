"""Execute one claimed outbox message: dispatch by kind, complete, retry or dead-letter."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from vpnsales.application.common import enqueue_alert
from vpnsales.application.interactors.system._support import is_retryable
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import (
    Outbox,
    OutboxConsumer,
    OutboxKind,
    OutboxMessage,
    RetryPolicy,
)
from vpnsales.application.ports.panels import PanelUnavailable
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import OutboxHandler, RandomSource

log = logging.getLogger(__name__)

MAX_ERROR = 500


PANEL_ALERT_AFTER = 3
"""Failed attempts of one message before a panel counts as down (not a passing blip)."""


class ExecutionOutcome(StrEnum):
    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteOutboxMessageCommand:
    message: OutboxMessage
    """A message this worker holds the lease on."""


class ExecuteOutboxMessage:
    """Run the handler of a leased message. Success → complete. A retryable failure →
    retry later after ``retry.delay`` (exponential backoff with jitter from the injected
    randomness), until ``policy.outbox_max_attempts`` attempts; then, or at once for a
    non-retryable failure, dead-letter it and alert the seller (ADMIN_ALERT dead_letter).

    Retryable: errors flagged ``retryable`` (``PanelUnavailable``,
    ``PaymentGatewayUnavailable``, ``TransientFailure`` for a notifier FAILED) and
    ``OSError``/``TimeoutError``. Everything else (business errors, bad payloads,
    rejected requests) cannot get better by waiting."""

    def __init__(
        self,
        *,
        handlers: Mapping[OutboxKind, OutboxHandler],
        consumer: OutboxConsumer,
        outbox: Outbox,
        uow: UnitOfWork,
        clock: Clock,
        random: RandomSource,
        retry: RetryPolicy | None = None,
        policy: ShopPolicy | None = None,
    ) -> None:
        self._handlers = handlers
        self._consumer = consumer
        self._outbox = outbox
        self._uow = uow
        self._clock = clock
        if policy is not None:
            self._max_attempts = policy.outbox_max_attempts
        else:
            self._max_attempts = (retry or RetryPolicy()).max_attempts
        self._retry = retry or RetryPolicy(max_attempts=self._max_attempts)
        self._random = random

    async def __call__(self, command: ExecuteOutboxMessageCommand) -> ExecutionOutcome:
        message = command.message
        handler = self._handlers.get(message.kind)
        if handler is None:
            return await self._dead(message, f"no handler for {message.kind}")
        try:
            await handler(message)
        except Exception as exc:
            await self._uow.rollback()
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
            if not is_retryable(exc):
                log.warning("outbox %s %s failed permanently: %s", message.kind, message.id, error)
                return await self._dead(message, error)
            attempt = message.attempts + 1
            if attempt >= self._max_attempts:
                return await self._dead(message, f"gave up after {attempt} attempts: {error}")
            due = self._clock.now() + self._retry.delay(attempt, self._random())
            await self._consumer.retry_later(message.id, error=error, due_at=due)
            if isinstance(exc, PanelUnavailable) and exc.panel_id and attempt >= PANEL_ALERT_AFTER:
                await self._panel_down(exc.panel_id, error)
            return ExecutionOutcome.RETRY
        await self._consumer.complete(message.id)
        return ExecutionOutcome.DONE

    async def _panel_down(self, panel_id: str, error: str) -> None:
        """Tell the seller a panel is unreachable (open circuit, network, 5xx): at most
        once per panel per hour, whatever the number of failing messages."""
        now = self._clock.now()
        text = f"Panel {panel_id} is unreachable; changes are queued and retried: {error}"
        await enqueue_alert(
            self._outbox,
            Alert(kind=AlertKind.PANEL_UNREACHABLE, text=text),
            now,
            f"panel-down:{panel_id}:{now:%Y%m%d%H}",
        )
        await self._uow.commit()

    async def _dead(self, message: OutboxMessage, error: str) -> ExecutionOutcome:
        await self._consumer.dead_letter(message.id, error=error)
        if message.kind is not OutboxKind.ADMIN_ALERT:  # never alert about alerts: no loops
            text = (
                f"Outbox message {message.id} ({message.kind}) dead-lettered after "
                f"{message.attempts + 1} attempt(s): {error}"
            )
            now = self._clock.now()
            await enqueue_alert(
                self._outbox,
                Alert(kind=AlertKind.DEAD_LETTER, text=text),
                now,
                f"dead:{message.id}",
            )
            await self._uow.commit()
        return ExecutionOutcome.DEAD
