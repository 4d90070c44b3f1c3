"""Lift a ban (owner): ban-suspended subscriptions come back (active if time is left)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._customers import (
    CustomerAction,
    converge_accesses,
    resolve_customer,
)
from vpnsales.application.interactors.admin._guard import Permission, authorize


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbanCustomerCommand:
    actor_telegram_id: int
    customer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbanResult:
    changed: bool
    reactivated: int = 0
    """Subscriptions active again (time left); the others are expired."""


class UnbanCustomer(CustomerAction):
    """Every subscription the ban suspended is reactivated (active if time is left).
    A subscription suspended by a refund (``suspended_reason`` REFUND) stays suspended."""

    async def __call__(self, command: UnbanCustomerCommand) -> UnbanResult:
        await authorize(self._admins, command.actor_telegram_id, Permission.BAN)
        customer = await resolve_customer(self._customers, command.customer, for_update=True)
        if not customer.banned:
            await self._uow.rollback()  # nothing to change
            return UnbanResult(changed=False)
        now = self._clock.now()
        customer.unban()
        await self._customers.save(customer)
        reactivated = 0
        restored: list[str] = []
        for listed in await self._subscriptions.for_customer(customer.id):
            if not listed.suspended_by_ban:
                continue
            subscription = await self._subscriptions.get(listed.id, for_update=True)
            if subscription is None or not subscription.suspended_by_ban:
                continue
            subscription.reactivate(now)
            await self._subscriptions.save(subscription)
            await converge_accesses(
                self._accesses, self._outbox, subscription, now, expiry_changed=False
            )
            restored.append(str(subscription.id))
            reactivated += subscription.is_live
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="customer.unban",
            target=f"customer:{customer.telegram_id}",
            at=now,
            before={"banned": True},
            after={"banned": False, "restored": restored},
        )
        await self._uow.commit()
        return UnbanResult(changed=True, reactivated=reactivated)
