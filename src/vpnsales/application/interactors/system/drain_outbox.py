"""Drain the outbox: claim due messages with a lease and execute them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vpnsales.application.interactors.system.execute_outbox_message import (
    ExecuteOutboxMessage,
    ExecuteOutboxMessageCommand,
    ExecutionOutcome,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import OutboxConsumer


@dataclass(frozen=True, slots=True, kw_only=True)
class DrainOutboxCommand:
    batch: int | None = None
    """Messages claimed at once; ``policy.outbox_batch`` when unset."""
    max_batches: int = 10
    """Stop after this many batches (the next kick or tick continues)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DrainResult:
    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    next_due: datetime | None = None
    """After a drain that did something: when the next pending message falls due (a
    deferred notification, a retry's backoff; past if one fell due meanwhile), for the
    worker's wake-up."""

    @property
    def failed(self) -> int:
        return self.retried + self.dead


class DrainOutbox:
    """Claim due messages in batches until none is left (follow-ups a message queues,
    like the ``access_ready`` notification after a sync, run in the same drain). Safe on
    several workers at once: claims are leased and disjoint."""

    def __init__(
        self,
        *,
        consumer: OutboxConsumer,
        execute: ExecuteOutboxMessage,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._consumer = consumer
        self._execute = execute
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: DrainOutboxCommand) -> DrainResult:
        batch = command.batch or self._policy.outbox_batch
        counts = dict.fromkeys(ExecutionOutcome, 0)
        claimed = 0
        for _ in range(command.max_batches):
            messages = await self._consumer.claim(
                self._clock.now(), limit=batch, lease=self._policy.outbox_lease
            )
            claimed += len(messages)
            for message in messages:
                outcome = await self._execute(ExecuteOutboxMessageCommand(message=message))
                counts[outcome] += 1
            if not messages:  # keep going: executing may have queued follow-ups
                break
        next_due = await self._consumer.next_due(self._clock.now()) if claimed else None
        return DrainResult(
            claimed=claimed,
            done=counts[ExecutionOutcome.DONE],
            retried=counts[ExecutionOutcome.RETRY],
            dead=counts[ExecutionOutcome.DEAD],
            next_due=next_due,
        )
