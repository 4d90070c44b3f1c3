"""Small helpers shared by interactors: staging side effects in the outbox.

``enqueue_*`` add one message; ``*_message`` build the same message so a batch job can
collect them and stage them all with ``Outbox.add_all``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import uuid4

from vpnsales.application.ports.notifier import Alert
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage
from vpnsales.domain.access import Access
from vpnsales.domain.ids import SubscriptionId
from vpnsales.domain.notifications import Intent


def sync_message(
    access: Access, now: datetime, *, paid_at: datetime | None = None
) -> OutboxMessage:
    """The SYNC_ACCESS message of ``enqueue_sync``, for batch jobs that ``add_all``."""
    payload: dict[str, object] = {"access_id": str(access.id), "version": access.version}
    if paid_at is not None:
        payload["paid_at"] = paid_at.isoformat()
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.SYNC_ACCESS,
        payload=payload,
        created_at=now,
        due_at=now,
        dedup_key=f"sync:{access.id}:{access.version}",
    )


def notify_message(intent: Intent, now: datetime) -> OutboxMessage:
    """The NOTIFY message of ``enqueue_notify``, for batch jobs that ``add_all``."""
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.NOTIFY,
        payload=intent_to_payload(intent),
        created_at=now,
        due_at=now,
        dedup_key=f"notify:{intent.dedup_key}",
    )


async def enqueue_sync(
    outbox: Outbox, access: Access, now: datetime, *, paid_at: datetime | None = None
) -> None:
    """Ask the worker to converge ``access`` to its desired state (at its current version).
    ``paid_at``: the success of the payment that asked for it (time-to-access telemetry)."""
    await outbox.add(sync_message(access, now, paid_at=paid_at))


async def enqueue_notify(outbox: Outbox, intent: Intent, now: datetime) -> None:
    """Tell a customer something; the same intent is delivered once (dedup key)."""
    await outbox.add(notify_message(intent, now))


def receipt_key(subscription_id: SubscriptionId) -> str:
    """Dedup key of the "payment received" of a purchase that started ``subscription_id``:
    the access card withdraws it by this key (a new subscription has one payment)."""
    return f"notify:receipt:{subscription_id}"


async def enqueue_receipt(outbox: Outbox, intent: Intent, now: datetime, delay: timedelta) -> None:
    """Stage "payment received" for a purchase whose access card is on its way: due after
    ``delay``, withdrawn by the card if the card is ready first (``receipt_key``)."""
    if intent.subscription_id is None:
        raise ValueError("a deferred receipt names the subscription its card is for")
    message = replace(
        notify_message(intent, now),
        due_at=now + delay,
        dedup_key=receipt_key(intent.subscription_id),
    )
    await outbox.add(message)


async def enqueue_alert(outbox: Outbox, alert: Alert, now: datetime, key: str | None) -> None:
    await outbox.add(
        OutboxMessage(
            id=uuid4(),
            kind=OutboxKind.ADMIN_ALERT,
            payload={"kind": alert.kind.value, "text": alert.text},
            created_at=now,
            due_at=now,
            dedup_key=f"alert:{key}" if key else None,
        )
    )


def intent_to_payload(intent: Intent) -> dict[str, object]:
    payload: dict[str, object] = {"kind": intent.kind.value, "customer_id": str(intent.customer_id)}
    for name in (
        "subscription_id",
        "payment_id",
        "hours",
        "percent",
        "days",
        "reason",
        "access_id",
    ):
        value = getattr(intent, name)
        if value is not None:
            payload[name] = value if isinstance(value, int | str) else str(value)
    if intent.amount is not None:
        payload["amount"] = str(intent.amount.amount)
        payload["currency"] = intent.amount.currency.value
    if intent.expires_at is not None:
        payload["expires_at"] = intent.expires_at.isoformat()
    return payload
