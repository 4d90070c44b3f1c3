"""Reliability suite settings: ``--slow`` runs the long variants (thousands of inputs)."""

from __future__ import annotations

from collections import Counter

import pytest

from vpnsales.application.ports.outbox import OutboxKind, OutboxStatus
from vpnsales.domain.notifications import IntentKind
from vpnsales.testing.app import InMemoryApp


@pytest.fixture
def slow_examples(request: pytest.FixtureRequest) -> int:
    """How many generated inputs a dispatcher-level fuzz sends (bounded either way)."""
    return 2000 if request.config.getoption("--slow") else 60


def payment_receipts(app: InMemoryApp) -> Counter[str]:
    """How many "payment received" were staged per payment id (as a string).

    Staged in the transaction that credits the payment, so the count witnesses the
    crediting whether or not the message went out: a new purchase's receipt is withdrawn
    when its access card goes first. Checks on the way that no receipt was delivered more
    often than staged, and that each withdrawn one was replaced by its delivered card."""
    delivered = Counter(
        str(i.payment_id) for i in app.notifier.intents(IntentKind.PAYMENT_RECEIVED)
    )
    cards = {str(i.subscription_id) for i in app.notifier.intents(IntentKind.ACCESS_READY)}
    staged: Counter[str] = Counter()
    for message in app.db.outbox_messages():
        if message.kind is not OutboxKind.NOTIFY:
            continue
        if message.payload.get("kind") != IntentKind.PAYMENT_RECEIVED.value:
            continue
        payment_id = str(message.payload["payment_id"])
        staged[payment_id] += 1
        if message.status is OutboxStatus.DONE and not delivered[payment_id]:
            assert str(message.payload.get("subscription_id")) in cards, message
    for payment_id, count in delivered.items():
        assert count <= staged[payment_id], payment_id
    return staged
