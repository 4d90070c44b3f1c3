"""ActivateTrial: once per customer, only without a live subscription."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.errors import CustomerBanned, TrialAlreadyUsed, TrialUnavailable
from vpnsales.testing.app import InMemoryApp, build_in_memory_app

from .conftest import TG, ban, customer, make_shop


async def test_trial_starts_a_short_subscription_with_an_access(shop: InMemoryApp) -> None:
    await customer(shop)

    trial = await shop.activate_trial(telegram_id=TG)

    assert trial.days == 3
    assert trial.expires_at == shop.clock.now() + timedelta(days=3)
    sub = await shop.get("subscriptions", trial.subscription_id)
    assert sub.is_trial
    (access,) = shop.rows("accesses")
    assert access.id == trial.access_id
    assert shop.outbox(OutboxKind.SYNC_ACCESS)
    assert (await shop.customer(TG)).trial_used


async def test_trial_access_is_provisioned_by_the_worker(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.activate_trial(telegram_id=TG)

    await shop.run_outbox()

    (access,) = shop.rows("accesses")
    assert access.is_ready


async def test_trial_cannot_be_used_twice(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.activate_trial(telegram_id=TG)
    shop.clock.advance(days=5)

    with pytest.raises(TrialAlreadyUsed):
        await shop.activate_trial(telegram_id=TG)
    assert len(shop.rows("subscriptions")) == 1


async def test_trial_is_refused_with_a_live_subscription(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")

    with pytest.raises(TrialUnavailable):
        await shop.activate_trial(telegram_id=TG)
    assert not (await shop.customer(TG)).trial_used


async def test_trial_is_unavailable_when_the_shop_offers_none() -> None:
    shop = build_in_memory_app(trial_tariff_code=None)
    await customer(shop)

    with pytest.raises(TrialUnavailable):
        await shop.activate_trial(telegram_id=TG)


async def test_trial_is_unavailable_when_its_tariff_is_missing() -> None:
    shop = await make_shop(trial_tariff_code="nonexistent")
    await customer(shop)

    with pytest.raises(TrialUnavailable):
        await shop.activate_trial(telegram_id=TG)


async def test_banned_customer_gets_no_trial(shop: InMemoryApp) -> None:
    await customer(shop)
    await ban(shop)

    with pytest.raises(CustomerBanned):
        await shop.activate_trial(telegram_id=TG)


async def test_concurrent_trial_requests_start_one_trial(shop: InMemoryApp) -> None:
    await customer(shop)

    results = await asyncio.gather(
        *(shop.activate_trial(telegram_id=TG) for _ in range(5)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, TrialAlreadyUsed) for r in results if isinstance(r, BaseException))
    assert len(shop.rows("subscriptions")) == 1
