"""The test kit's fakes behave like the ports they stand in for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import StaticPanelRegistry
from vpnsales.application.ports.panels import (
    AccountNotFound,
    AccountRef,
    AccountSpec,
    PanelAccountStatus,
    PanelGroup,
    PanelRejected,
    PanelUnavailable,
)
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    PaymentGatewayUnavailable,
    ProviderPaymentNotFound,
    ProviderStatus,
)
from vpnsales.domain.ids import PanelId, PaymentId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit
from vpnsales.domain.payment import PaymentProvider
from vpnsales.testing.builders import rub
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.fakes import FakePanel, FakePaymentGateway

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _spec(name: str = "vs_user", *, enabled: bool = True) -> AccountSpec:
    return AccountSpec(
        username=name,
        expires_at=NOW + timedelta(days=30),
        enabled=enabled,
        traffic=TrafficLimit.gib(10),
        devices=DeviceLimit(2),
    )


async def test_ensure_account_is_idempotent_and_updates_in_place() -> None:
    panel = FakePanel()
    first = await panel.ensure_account(_spec())
    second = await panel.ensure_account(_spec(enabled=False), first.ref)

    assert second.external_id == first.external_id
    assert second.subscription_url == first.subscription_url
    assert second.status is PanelAccountStatus.DISABLED
    assert len(panel.accounts) == 1


async def test_revoke_issues_a_new_link() -> None:
    panel = FakePanel()
    state = await panel.ensure_account(_spec())

    revoked = await panel.revoke(state.ref)

    assert revoked.subscription_url != state.subscription_url


async def test_panel_fails_on_demand_and_when_down() -> None:
    panel = FakePanel()
    panel.fail_next(2, PanelRejected("no"))
    for _ in range(2):
        with pytest.raises(PanelRejected):
            await panel.ensure_account(_spec())
    await panel.ensure_account(_spec())
    panel.down = True

    with pytest.raises(PanelUnavailable):
        await panel.get_state(AccountRef("vs_user"))
    assert len(panel.calls) == 4


async def test_missing_account_is_reported_not_invented() -> None:
    panel = FakePanel()

    assert await panel.get_state(AccountRef("ghost")) is None
    with pytest.raises(AccountNotFound):
        await panel.disable(AccountRef("ghost"))
    await panel.delete(AccountRef("ghost"))  # already absent is success


async def test_usage_over_the_limit_marks_the_account_limited() -> None:
    panel = FakePanel()
    await panel.ensure_account(_spec())

    panel.set_usage("vs_user", used_bytes=11 * 1024**3, devices=1)

    state = await panel.get_state(AccountRef("vs_user"))
    assert state is not None
    assert state.status is PanelAccountStatus.LIMITED
    assert state.devices == 1


def _request(payment_id: PaymentId | None = None) -> CheckoutRequest:
    return CheckoutRequest(
        payment_id=payment_id or PaymentId(uuid4()), amount=rub(100), description="x", telegram_id=1
    )


async def test_gateway_create_is_idempotent_by_our_payment_id() -> None:
    gateway = FakePaymentGateway(PaymentProvider.YOOKASSA)
    request = _request()

    first = await gateway.create(request)
    again = await gateway.create(request)

    assert first.provider_payment_id == again.provider_payment_id
    assert len(gateway.payments) == 1


async def test_the_test_plays_the_provider() -> None:
    gateway = FakePaymentGateway(PaymentProvider.YOOKASSA)
    request = _request()
    created = await gateway.create(request)

    gateway.succeed(request.payment_id, amount=rub(1), saved_method_id="pm")

    fetched = await gateway.fetch(created.provider_payment_id)
    assert fetched.status is ProviderStatus.SUCCEEDED
    assert fetched.amount == rub(1)
    assert fetched.saved_method_id == "pm"
    assert fetched.payment_id == request.payment_id


async def test_gateway_refund_is_idempotent_by_key() -> None:
    gateway = FakePaymentGateway(PaymentProvider.YOOKASSA)
    request = _request()
    created = await gateway.create(request)
    gateway.succeed(request.payment_id)

    await gateway.refund(created.provider_payment_id, rub(100), idempotency_key="k")
    await gateway.refund(created.provider_payment_id, rub(100), idempotency_key="k")

    assert len(gateway.refunds) == 1
    assert gateway.state(request.payment_id).status is ProviderStatus.REFUNDED


async def test_gateway_fails_on_demand_and_knows_no_strangers() -> None:
    gateway = FakePaymentGateway(PaymentProvider.CRYPTOPAY)
    gateway.fail_next()

    with pytest.raises(PaymentGatewayUnavailable):
        await gateway.create(_request())
    with pytest.raises(ProviderPaymentNotFound):
        await gateway.fetch("nope")


async def test_saved_method_charges_succeed_unless_declined() -> None:
    gateway = FakePaymentGateway(PaymentProvider.YOOKASSA)
    gateway.declined_methods.add("bad")

    good = await gateway.charge_saved("pm", _request())
    bad = await gateway.charge_saved("bad", _request())

    assert good.status is ProviderStatus.SUCCEEDED
    assert bad.status is ProviderStatus.CANCELED


async def test_registry_places_new_accounts_on_the_least_loaded_group_member() -> None:
    panels = [FakePanel("a"), FakePanel("b")]

    async def load() -> dict[PanelId, int]:
        return {PanelId("a"): 3, PanelId("b"): 1}

    registry = StaticPanelRegistry(
        panels, [PanelGroup(PanelId("g"), (PanelId("a"), PanelId("b")))], load
    )

    assert registry.candidates(PanelId("g")) == (PanelId("a"), PanelId("b"))
    assert registry.candidates(PanelId("a")) == (PanelId("a"),)
    assert (await registry.choose_for_new(PanelId("g"))).panel_id == "b"
    with pytest.raises(KeyError):
        registry.candidates(PanelId("nope"))


def test_steerable_clock_moves_only_when_told() -> None:
    clock = SteerableClock(NOW)

    clock.advance(days=1, hours=2)

    assert clock.now() == NOW + timedelta(days=1, hours=2)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    assert clock.set(NOW) == NOW
