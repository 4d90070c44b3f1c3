"""Tell the seller something (outbox ADMIN_ALERT)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.ports.notifier import AdminAlerter, Alert, AlertKind
from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.worker import PermanentFailure


@dataclass(frozen=True, slots=True, kw_only=True)
class SendAdminAlertCommand:
    alert: Alert

    @classmethod
    def from_message(cls, message: OutboxMessage) -> SendAdminAlertCommand:
        try:
            kind = AlertKind(message.payload["kind"])
            text = str(message.payload["text"])
        except (KeyError, ValueError) as exc:
            raise PermanentFailure(f"malformed alert payload: {exc}") from exc
        return cls(alert=Alert(kind=kind, text=text))


class SendAdminAlert:
    def __init__(self, *, alerter: AdminAlerter) -> None:
        self._alerter = alerter

    async def __call__(self, command: SendAdminAlertCommand) -> None:
        await self._alerter.alert(command.alert)
