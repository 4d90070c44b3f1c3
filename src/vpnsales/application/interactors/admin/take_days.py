"""Take days from a customer's subscription (owner). Expires it when nothing is left."""

from __future__ import annotations

from vpnsales.application.interactors.admin.grant_days import (
    DaysAction,
    DaysChanged,
    GrantDaysCommand,
)
from vpnsales.domain.subscription import Subscription

TakeDaysCommand = GrantDaysCommand
"""The same fields: who, whose, how many days, which subscription, why."""


class TakeDays(DaysAction):
    async def __call__(self, command: TakeDaysCommand) -> DaysChanged:
        return await self._change_days(
            command, action="subscription.take_days", move=Subscription.shorten, notify=None
        )
