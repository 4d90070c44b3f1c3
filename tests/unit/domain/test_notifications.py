"""Notification intents: data, deduplicated by a stable key."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from tests.unit.domain.builders import NOW, customer_id, rub

from vpnsales.domain.ids import PaymentId, SubscriptionId
from vpnsales.domain.notifications import (
    Intent,
    IntentKind,
    access_ready,
    expired,
    expiring_soon,
    reactivated,
)

CUSTOMER = customer_id()
SUBSCRIPTION = SubscriptionId(uuid4())


def test_expiring_soon_carries_hours_and_expiry() -> None:
    intent = expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW)
    assert intent.kind is IntentKind.EXPIRING_SOON
    assert (intent.customer_id, intent.subscription_id) == (CUSTOMER, SUBSCRIPTION)
    assert (intent.hours, intent.expires_at) == (24, NOW)


def test_expired_carries_the_moment() -> None:
    intent = expired(CUSTOMER, SUBSCRIPTION, NOW)
    assert intent.kind is IntentKind.EXPIRED
    assert intent.expires_at == NOW


def test_access_ready_names_the_subscription() -> None:
    intent = access_ready(CUSTOMER, SUBSCRIPTION)
    assert intent.kind is IntentKind.ACCESS_READY
    assert intent.subscription_id == SUBSCRIPTION


def test_reactivated_carries_the_new_expiry() -> None:
    intent = reactivated(CUSTOMER, SUBSCRIPTION, NOW)
    assert intent.kind is IntentKind.REACTIVATED
    assert intent.expires_at == NOW


def test_dedup_key_is_stable_for_the_same_intent() -> None:
    assert (
        expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW).dedup_key
        == expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW).dedup_key
    )


def test_dedup_key_starts_with_kind_and_customer() -> None:
    key = access_ready(CUSTOMER, SUBSCRIPTION).dedup_key
    assert key.startswith(f"access_ready:{CUSTOMER}:")


def test_dedup_key_differs_by_threshold() -> None:
    assert (
        expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW).dedup_key
        != expiring_soon(CUSTOMER, SUBSCRIPTION, 72, NOW).dedup_key
    )


def test_dedup_key_differs_by_period_expiry() -> None:
    assert (
        expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW).dedup_key
        != expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW + timedelta(days=30)).dedup_key
    )


def test_dedup_key_differs_by_kind_customer_and_subscription() -> None:
    keys = {
        access_ready(CUSTOMER, SUBSCRIPTION).dedup_key,
        reactivated(CUSTOMER, SUBSCRIPTION, NOW).dedup_key,
        expired(CUSTOMER, SUBSCRIPTION, NOW).dedup_key,
        access_ready(customer_id(), SUBSCRIPTION).dedup_key,
        access_ready(CUSTOMER, SubscriptionId(uuid4())).dedup_key,
    }
    assert len(keys) == 5


def test_dedup_key_differs_by_payment() -> None:
    def failed(payment: PaymentId) -> Intent:
        return Intent(kind=IntentKind.PAYMENT_FAILED, customer_id=CUSTOMER, payment_id=payment)

    assert failed(PaymentId(uuid4())).dedup_key != failed(PaymentId(uuid4())).dedup_key


def test_dedup_key_differs_by_traffic_percent() -> None:
    def alert(percent: int) -> Intent:
        return Intent(
            kind=IntentKind.TRAFFIC_THRESHOLD,
            customer_id=CUSTOMER,
            subscription_id=SUBSCRIPTION,
            percent=percent,
        )

    assert alert(80).dedup_key != alert(95).dedup_key


def test_dedup_key_differs_by_credited_amount() -> None:
    def credited(amount: str) -> Intent:
        return Intent(kind=IntentKind.BALANCE_CREDITED, customer_id=CUSTOMER, amount=rub(amount))

    assert credited("100").dedup_key != credited("50").dedup_key
    assert credited("100").dedup_key == credited("100.00").dedup_key


def test_dedup_key_differs_by_granted_days() -> None:
    def granted(days: int) -> Intent:
        return Intent(
            kind=IntentKind.DAYS_GRANTED,
            customer_id=CUSTOMER,
            subscription_id=SUBSCRIPTION,
            days=days,
        )

    assert granted(7).dedup_key != granted(30).dedup_key


def test_dedup_key_of_an_intent_without_grants_keeps_its_plain_form() -> None:
    key = expiring_soon(CUSTOMER, SUBSCRIPTION, 24, NOW).dedup_key
    assert key == f"expiring_soon:{CUSTOMER}:{SUBSCRIPTION}::24::{NOW}"


def test_dedup_key_of_a_fully_populated_intent_fits_the_outbox_key() -> None:
    # the outbox stores "notify:<key>" in a 256-character unique column
    intent = Intent(
        kind=IntentKind.AUTO_RENEWAL_FAILED,
        customer_id=CUSTOMER,
        subscription_id=SUBSCRIPTION,
        payment_id=PaymentId(uuid4()),
        hours=8760,
        percent=100,
        days=3660,
        amount=rub("99999999.99"),
        reason="x" * 500,
        expires_at=NOW.replace(microsecond=123456),
    )
    assert len("notify:" + intent.dedup_key) <= 256
