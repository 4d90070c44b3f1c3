"""Expire subscriptions whose time is up (batch sweep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vpnsales.application.common import notify_message, sync_message
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxMessage
from vpnsales.application.ports.repositories import AccessRepository, SubscriptionRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.notifications import expired
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireDueSubscriptionsCommand:
    batch: int | None = None
    """``policy.sweep_batch`` when unset."""
    max_batches: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireResult:
    expired: int
    accesses_disabled: int


class ExpireDueSubscriptions:
    """Each batch is one transaction: claim (SKIP LOCKED) → expire → desire DISABLED →
    outbox SYNC_ACCESS + NOTIFY expired. No panel call: the database changes at once,
    panels converge when the outbox runs (even if a panel is down right now)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._outbox = outbox
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: ExpireDueSubscriptionsCommand) -> ExpireResult:
        size = command.batch or self._policy.sweep_batch
        expired_count = disabled = 0
        for _ in range(command.max_batches):
            now = self._clock.now()
            batch = await self._subscriptions.claim_due(now, size)
            if batch:
                disabled += await self._expire(batch, now)
            await self._uow.commit()
            expired_count += len(batch)
            if len(batch) < size:
                break
        return ExpireResult(expired=expired_count, accesses_disabled=disabled)

    async def _expire(self, batch: list[Subscription], now: datetime) -> int:
        """Four round trips per batch (save, lock accesses, save accesses, outbox), the
        same writes and outbox messages, in the same order, as one subscription at a
        time. Returns the number of accesses disabled."""
        for subscription in batch:
            subscription.expire(now)
        await self._subscriptions.save_all(batch)
        by_subscription = await self._accesses.for_subscriptions(
            [s.id for s in batch], for_update=True
        )
        changed: list[Access] = []
        messages: list[OutboxMessage] = []
        for subscription in batch:
            for access in by_subscription.get(subscription.id, []):
                if access.desired is DesiredState.DELETED:
                    continue  # moved away by a plan change: it can never come back
                if access.desire(subscription.desired_access):
                    changed.append(access)
                    messages.append(sync_message(access, now))
            messages.append(
                notify_message(
                    expired(subscription.customer_id, subscription.id, subscription.expires_at),
                    now,
                )
            )
        await self._accesses.save_all(changed)
        await self._outbox.add_all(messages)
        return len(changed)
