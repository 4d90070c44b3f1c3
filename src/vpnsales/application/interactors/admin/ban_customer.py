"""Ban a customer (owner): suspend their live subscriptions and disable their access."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._customers import (
    CustomerAction,
    converge_accesses,
    resolve_customer,
)
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.domain.subscription import SubscriptionStatus, SuspensionReason


@dataclass(frozen=True, slots=True, kw_only=True)
class BanCustomerCommand:
    actor_telegram_id: int
    customer: str
    """Telegram id or @username."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BanResult:
    changed: bool
    subscriptions_suspended: int = 0


class BanCustomer(CustomerAction):
    async def __call__(self, command: BanCustomerCommand) -> BanResult:
        await authorize(self._admins, command.actor_telegram_id, Permission.BAN)
        customer = await resolve_customer(self._customers, command.customer, for_update=True)
        if customer.banned:
            await self._uow.rollback()  # nothing to change
            return BanResult(changed=False)
        now = self._clock.now()
        customer.ban()
        await self._customers.save(customer)
        suspended: list[str] = []
        for listed in await self._subscriptions.for_customer(customer.id):
            if listed.status is not SubscriptionStatus.ACTIVE:
                continue
            # Re-read under the row lock: a renewal confirmed concurrently must not be
            # overwritten with the stale expiry read above (lost update).
            subscription = await self._subscriptions.get(listed.id, for_update=True)
            if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
                continue
            subscription.suspend(SuspensionReason.BAN)
            await self._subscriptions.save(subscription)
            await converge_accesses(
                self._accesses, self._outbox, subscription, now, expiry_changed=False
            )
            suspended.append(str(subscription.id))
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="customer.ban",
            target=f"customer:{customer.telegram_id}",
            at=now,
            before={"banned": False},
            after={"banned": True, "suspended": suspended, "reason": command.reason},
        )
        await self._uow.commit()
        return BanResult(changed=True, subscriptions_suspended=len(suspended))
