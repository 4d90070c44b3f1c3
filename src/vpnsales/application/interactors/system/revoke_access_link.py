"""Issue a new subscription link for an access (outbox REVOKE_ACCESS)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.common import intent_to_payload
from vpnsales.application.interactors.system._support import observed_from, payload_uuid
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage
from vpnsales.application.ports.panels import AccountRef, PanelRegistry
from vpnsales.application.ports.repositories import AccessRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PermanentFailure
from vpnsales.domain.errors import AccessNotFound
from vpnsales.domain.ids import AccessId
from vpnsales.domain.notifications import Intent, IntentKind

REVOKED = "link_revoked"


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeAccessLinkCommand:
    access_id: AccessId

    @classmethod
    def from_message(cls, message: OutboxMessage) -> RevokeAccessLinkCommand:
        return cls(access_id=AccessId(payload_uuid(message, "access_id")))


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeAccessLinkResult:
    subscription_url: str


class RevokeAccessLink:
    """Panel ``revoke`` (outside any transaction), then store the new link and send the
    customer a fresh access card (``access_ready`` with reason ``link_revoked``)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        accesses: AccessRepository,
        outbox: Outbox,
        panels: PanelRegistry,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._accesses = accesses
        self._outbox = outbox
        self._panels = panels
        self._clock = clock

    async def __call__(self, command: RevokeAccessLinkCommand) -> RevokeAccessLinkResult:
        access = await self._accesses.get(command.access_id)
        await self._uow.commit()
        if access is None:
            raise AccessNotFound(str(command.access_id))
        if not access.is_provisioned:
            raise PermanentFailure(f"access {access.id} has no panel account to revoke")
        try:
            panel = self._panels.get(access.panel_id)
        except KeyError:
            raise PermanentFailure(f"unknown panel {access.panel_id}") from None
        state = await panel.revoke(AccountRef(access.username, access.external_id))

        now = self._clock.now()
        access = await self._accesses.get(command.access_id, for_update=True)
        if access is None:
            await self._uow.commit()
            raise AccessNotFound(str(command.access_id))
        if state.subscription_url:
            access.subscription_url = state.subscription_url
        access.external_id = state.external_id or access.external_id
        access.observed = observed_from(state, now)
        await self._accesses.save(access)
        intent = Intent(
            kind=IntentKind.ACCESS_READY,
            customer_id=access.customer_id,
            subscription_id=access.subscription_id,
            reason=REVOKED,
        )
        digest = hashlib.sha256(state.subscription_url.encode()).hexdigest()[:16]
        await self._outbox.add(
            OutboxMessage(
                id=uuid4(),
                kind=OutboxKind.NOTIFY,
                payload=intent_to_payload(intent),
                created_at=now,
                due_at=now,
                dedup_key=f"notify:revoked:{access.id}:{digest}",
            )
        )
        await self._uow.commit()
        return RevokeAccessLinkResult(subscription_url=access.subscription_url or "")
