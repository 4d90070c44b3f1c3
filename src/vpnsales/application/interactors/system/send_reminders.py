"""Remind customers before their subscription expires (once per threshold per period)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.common import notify_message
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxMessage
from vpnsales.application.ports.repositories import SubscriptionRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.notifications import expiring_soon


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRemindersCommand:
    batch: int | None = None
    max_batches: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class RemindersResult:
    sent: int
    skipped_auto_renew: int


class SendReminders:
    """Thresholds run from the nearest to the farthest; a reminder for a near threshold
    also marks the farther ones, so a customer 10 h from expiry gets the 24 h reminder
    only, never a late "72 h" one. Subscriptions that auto-renewal will charge are
    marked without a reminder (if the charge fails, auto-renew is turned off and the
    nearer thresholds apply)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        subscriptions: SubscriptionRepository,
        outbox: Outbox,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._subscriptions = subscriptions
        self._outbox = outbox
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: SendRemindersCommand) -> RemindersResult:
        size = command.batch or self._policy.sweep_batch
        thresholds = sorted(set(self._policy.reminder_hours))
        sent = skipped = 0
        for index, hours in enumerate(thresholds):
            farther = thresholds[index:]
            for _ in range(command.max_batches):
                now = self._clock.now()
                batch = await self._subscriptions.claim_expiring(now, hours, hours, size)
                messages: list[OutboxMessage] = []
                for subscription in batch:
                    first = subscription.mark_reminder_sent(hours)
                    for other in farther:
                        subscription.mark_reminder_sent(other)
                    if not first:
                        continue
                    if subscription.auto_renew:
                        skipped += 1
                        continue
                    messages.append(
                        notify_message(
                            expiring_soon(
                                subscription.customer_id,
                                subscription.id,
                                hours,
                                subscription.expires_at,
                            ),
                            now,
                        )
                    )
                sent += len(messages)
                await self._subscriptions.save_all(batch)
                await self._outbox.add_all(messages)
                await self._uow.commit()
                if len(batch) < size:
                    break
        return RemindersResult(sent=sent, skipped_auto_renew=skipped)
