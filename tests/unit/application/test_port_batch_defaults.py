"""The batch methods' defaults on the ports: an adapter that subclasses a port and
implements only the single-row methods keeps working (same semantics, one call each)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage
from vpnsales.application.ports.repositories import AccessRepository, SubscriptionRepository
from vpnsales.domain.access import Access
from vpnsales.domain.ids import AccessId, PanelId, SubscriptionId
from vpnsales.domain.subscription import Subscription
from vpnsales.testing.builders import a_subscription
from vpnsales.testing.clock import DEFAULT_START


class _Subscriptions(SubscriptionRepository):
    def __init__(self, rows: list[Subscription]) -> None:
        self.rows = {s.id: s for s in rows}
        self.calls: list[tuple[str, Any]] = []

    async def get(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> Subscription | None:
        self.calls.append(("get", for_update))
        return self.rows.get(subscription_id)

    async def save(self, subscription: Subscription) -> None:
        self.calls.append(("save", subscription.id))
        self.rows[subscription.id] = subscription


class _Accesses(AccessRepository):
    def __init__(self, rows: list[Access]) -> None:
        self.rows = rows
        self.saved: list[AccessId] = []

    async def for_subscription(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> list[Access]:
        return [a for a in self.rows if a.subscription_id == subscription_id]

    async def save(self, access: Access) -> None:
        self.saved.append(access.id)


class _Outbox(Outbox):
    def __init__(self) -> None:
        self.keys: list[str | None] = []

    async def add(self, message: OutboxMessage) -> None:
        if message.dedup_key is None or message.dedup_key not in self.keys:
            self.keys.append(message.dedup_key)


async def test_subscription_defaults_loop_over_get_and_save() -> None:
    one, two = a_subscription(), a_subscription()
    repo = _Subscriptions([one, two])
    missing = SubscriptionId(uuid4())
    found = await repo.get_many([two.id, missing, one.id, two.id], for_update=True)
    assert set(found) == {one.id, two.id}
    assert repo.calls == [("get", True)] * 3
    repo.calls.clear()
    await repo.save_all([two, one])
    assert repo.calls == [("save", two.id), ("save", one.id)]


async def test_access_defaults_key_every_requested_subscription() -> None:
    one, two = a_subscription(), a_subscription()
    access = Access.new(
        id=AccessId(uuid4()),
        subscription_id=one.id,
        customer_id=one.customer_id,
        panel_id=PanelId("p"),
        now=DEFAULT_START,
    )
    repo = _Accesses([access])
    found = await repo.for_subscriptions([one.id, two.id])
    assert found == {one.id: [access], two.id: []}
    await repo.save_all([access, access])
    assert repo.saved == [access.id, access.id]


async def test_outbox_default_adds_in_order_through_add() -> None:
    outbox = _Outbox()

    def message(key: str | None) -> OutboxMessage:
        return OutboxMessage(
            id=uuid4(),
            kind=OutboxKind.NOTIFY,
            payload={},
            created_at=DEFAULT_START,
            due_at=DEFAULT_START,
            dedup_key=key,
        )

    await outbox.add_all([message("a"), message("b"), message("a"), message(None)])
    assert outbox.keys == ["a", "b", None]
