"""Grant days to a customer's subscription (owner)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.admin._customers import (
    CustomerAction,
    converge_accesses,
    pick_subscription,
    resolve_customer,
)
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.admin._snapshots import subscription_snapshot
from vpnsales.domain.ids import SubscriptionId
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantDaysCommand:
    actor_telegram_id: int
    customer: str
    days: int
    subscription_id: SubscriptionId | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DaysChanged:
    subscription_id: SubscriptionId
    expires_at: datetime
    live: bool


class DaysAction(CustomerAction):
    """Moving a subscription's end by whole days, audited; the panel follows through
    the outbox. Granting and taking differ only in the move and the notification."""

    async def _change_days(
        self,
        command: GrantDaysCommand,
        *,
        action: str,
        move: Callable[[Subscription, int, datetime], object],
        notify: IntentKind | None,
    ) -> DaysChanged:
        await authorize(self._admins, command.actor_telegram_id, Permission.GRANT_DAYS)
        customer = await resolve_customer(self._customers, command.customer)
        subscription = await pick_subscription(
            self._subscriptions, customer, command.subscription_id
        )
        now = self._clock.now()
        before = subscription_snapshot(subscription)
        move(subscription, command.days, now)
        await self._subscriptions.save(subscription)
        await converge_accesses(
            self._accesses, self._outbox, subscription, now, expiry_changed=True
        )
        if notify is not None:
            await enqueue_notify(
                self._outbox,
                Intent(
                    kind=notify,
                    customer_id=customer.id,
                    subscription_id=subscription.id,
                    days=command.days,
                    expires_at=subscription.expires_at,
                ),
                now,
            )
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action=action,
            target=f"customer:{customer.telegram_id}",
            at=now,
            before=before,
            after={
                **subscription_snapshot(subscription),
                "days": command.days,
                "reason": command.reason,
            },
        )
        await self._uow.commit()
        return DaysChanged(
            subscription_id=subscription.id,
            expires_at=subscription.expires_at,
            live=subscription.is_live,
        )


class GrantDays(DaysAction):
    """Same arithmetic as a paid extension (from ``max(now, expires_at)``); an expired
    subscription comes back. The customer is told."""

    async def __call__(self, command: GrantDaysCommand) -> DaysChanged:
        return await self._change_days(
            command,
            action="subscription.grant_days",
            move=Subscription.grant,
            notify=IntentKind.DAYS_GRANTED,
        )
