"""One adapter contract, run against all five dialect emulators over real HTTP."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from vpnsales.application.ports.panels import (
    AccountNotFound,
    AccountRef,
    CircuitState,
    PanelAccountStatus,
    PanelAuthError,
    PanelRejected,
    PanelUnavailable,
)
from vpnsales.domain.limits import GIB

if TYPE_CHECKING:
    from conftest import Case


async def test_account_lifecycle(case: Case) -> None:
    panel = case.panel
    ref = AccountRef("alice_01")

    created = await panel.ensure_account(case.spec())
    assert created.username == "alice_01"
    assert created.status is PanelAccountStatus.ACTIVE
    assert created.traffic_limit_bytes == 50 * GIB
    assert created.expires_at is not None
    assert abs(created.expires_at - (case.clock() + timedelta(days=30))) < timedelta(seconds=1)
    assert created.subscription_url
    assert await case.fetch_sub(created.subscription_url) == 200

    # ensure again: an update, idempotent, same account
    again = await panel.ensure_account(case.spec(traffic_gib=100, description="order 2"))
    assert again.external_id == created.external_id
    assert again.traffic_limit_bytes == 100 * GIB
    assert again.subscription_url == created.subscription_url
    same = await panel.ensure_account(case.spec(traffic_gib=100, description="order 2"))
    assert same.external_id == created.external_id

    state = await panel.get_state(ref)
    assert state is not None
    assert state.is_active
    by_id = await panel.get_state(state.ref)
    assert by_id is not None
    assert by_id.external_id == state.external_id

    for _ in range(2):
        await panel.disable(ref)
    state = await panel.get_state(ref)
    assert state is not None
    assert state.status is PanelAccountStatus.DISABLED

    for _ in range(2):
        await panel.enable(state.ref)
    state = await panel.get_state(ref)
    assert state is not None
    assert state.status is PanelAccountStatus.ACTIVE

    new_expiry = case.clock() + timedelta(days=90)
    await panel.set_expiry(ref, new_expiry)
    state = await panel.get_state(ref)
    assert state is not None
    assert state.expires_at is not None
    assert abs(state.expires_at - new_expiry) < timedelta(seconds=1)

    case.add_traffic("alice_01", 3 * GIB)
    state = await panel.get_state(ref)
    assert state is not None
    assert state.used_traffic_bytes == 3 * GIB
    await panel.reset_traffic(ref)
    state = await panel.get_state(ref)
    assert state is not None
    assert state.used_traffic_bytes == 0

    revoked = await panel.revoke(ref)
    assert revoked.subscription_url
    assert revoked.subscription_url != created.subscription_url
    assert await case.fetch_sub(created.subscription_url) == 404
    assert await case.fetch_sub(revoked.subscription_url) == 200

    listed = await panel.list_accounts()
    assert [s.username for s in listed] == ["alice_01"]

    for _ in range(2):
        await panel.delete(ref)
    assert await panel.get_state(ref) is None
    assert await panel.get_state(revoked.ref) is None
    assert await panel.list_accounts() == []


async def test_created_disabled_and_recreated_with_the_same_link(case: Case) -> None:
    spec = case.spec("bob_02", enabled=False, sub_id="bobSubId0002xyz")
    state = await case.panel.ensure_account(spec)
    assert state.status is PanelAccountStatus.DISABLED

    case.delete_behind_our_back("bob_02")
    assert await case.panel.get_state(AccountRef("bob_02")) is None
    recreated = await case.panel.ensure_account(spec)
    assert recreated.subscription_url == state.subscription_url


async def test_renewal_of_an_expired_account_reactivates_it(case: Case) -> None:
    await case.panel.ensure_account(case.spec("carol_3", days=1))
    case.clock.advance(days=2)
    state = await case.panel.get_state(AccountRef("carol_3"))
    assert state is not None
    assert state.status is PanelAccountStatus.EXPIRED
    renewed = await case.panel.ensure_account(case.spec("carol_3", days=30))
    assert renewed.status is PanelAccountStatus.ACTIVE


async def test_over_quota_reported_as_limited(case: Case) -> None:
    await case.panel.ensure_account(case.spec("dave_04", traffic_gib=1))
    case.add_traffic("dave_04", 2 * GIB)
    state = await case.panel.get_state(AccountRef("dave_04"))
    assert state is not None
    assert state.status is PanelAccountStatus.LIMITED
    assert not state.is_active
    await case.panel.ensure_account(case.spec("dave_04", traffic_gib=10))
    state = await case.panel.get_state(AccountRef("dave_04"))
    assert state is not None
    assert state.status is PanelAccountStatus.ACTIVE


async def test_absent_account_operations(case: Case) -> None:
    ref = AccountRef("nobody_here")
    assert await case.panel.get_state(ref) is None
    await case.panel.delete(ref)
    with pytest.raises(AccountNotFound):
        await case.panel.enable(ref)
    with pytest.raises(AccountNotFound):
        await case.panel.set_expiry(ref, case.clock() + timedelta(days=1))


async def test_health(case: Case) -> None:
    await case.panel.ensure_account(case.spec("erin_05"))
    health = await case.panel.health()
    assert health.reachable
    assert health.circuit is CircuitState.CLOSED
    assert health.accounts == 1
    assert health.latency_ms is not None


# -- error mapping ----------------------------------------------------------------------


async def test_bad_credentials_raise_auth_error(case: Case) -> None:
    if case.is_xui:
        panel = case.make_panel(password="wrong-password")
    else:
        panel = case.make_panel(api_token="wrong-token")
    with pytest.raises(PanelAuthError) as info:
        await panel.get_state(AccountRef("alice_01"))
    for secret in (*case.secrets, "wrong-password", "wrong-token"):
        assert secret not in str(info.value)
    assert str(panel.breaker.state) == CircuitState.CLOSED


async def test_5xx_burst_is_retried(case: Case) -> None:
    case.emulator.faults.fail_next(2, status=503)
    state = await case.panel.ensure_account(case.spec())
    assert state.is_active
    assert len(case.sleeps.delays) == 2
    assert case.sleeps.delays[1] > case.sleeps.delays[0] * 0.9  # backoff grows (with jitter)


async def test_5xx_forever_opens_the_circuit(case: Case) -> None:
    panel = case.make_panel(circuit_failure_threshold=2, circuit_reset_timeout=30.0)
    await panel.get_state(AccountRef("warmup"))  # logs in where needed
    case.emulator.faults.fail_next(1000, status=500)
    for _ in range(2):
        with pytest.raises(PanelUnavailable):
            await panel.get_state(AccountRef("alice_01"))
    assert str(panel.breaker.state) == CircuitState.OPEN
    seen = len(case.emulator.calls)
    with pytest.raises(PanelUnavailable, match="circuit open"):
        await panel.get_state(AccountRef("alice_01"))
    assert len(case.emulator.calls) == seen  # failed fast, nothing sent
    health = await panel.health()
    assert not health.reachable
    assert health.circuit is CircuitState.OPEN

    case.emulator.faults.clear()
    case.monotonic.advance(31)
    assert str(panel.breaker.state) == CircuitState.HALF_OPEN
    assert await panel.get_state(AccountRef("alice_01")) is None
    assert str(panel.breaker.state) == CircuitState.CLOSED


async def test_429_is_retried_honouring_retry_after(case: Case) -> None:
    case.emulator.faults.throttle_next(1, retry_after=2)
    assert await case.panel.get_state(AccountRef("alice_01")) is None
    assert case.sleeps.delays
    assert case.sleeps.delays[0] >= 2.0


async def test_4xx_is_not_retried(case: Case) -> None:
    await case.panel.get_state(AccountRef("warmup"))
    before = len(case.emulator.calls)
    case.emulator.faults.fail_next(5, status=400, body=b"{}")
    with pytest.raises(PanelRejected):
        await case.panel.get_state(AccountRef("alice_01"))
    assert len(case.emulator.calls) == before + 1
    assert case.sleeps.delays == []
    case.emulator.faults.clear()


async def test_dropped_connection_is_retried(case: Case) -> None:
    await case.panel.get_state(AccountRef("warmup"))
    before = len(case.emulator.calls)
    case.emulator.faults.drop_next(1)
    state = await case.panel.ensure_account(case.spec())
    assert state.is_active
    assert len(case.sleeps.delays) == 1
    assert len(case.emulator.calls) > before + 1


async def test_panel_down_is_unavailable(case: Case) -> None:
    case.emulator.faults.down = True
    with pytest.raises(PanelUnavailable):
        await case.panel.ensure_account(case.spec())
    case.emulator.faults.clear()
    health = await case.panel.health()
    assert health.reachable


async def test_secrets_never_in_reprs(case: Case) -> None:
    text = repr(case.panel) + repr(case.panel.config) + str(case.panel.config)
    for secret in case.secrets:
        assert secret not in text


async def test_stale_external_id_falls_back_to_the_username(case: Case) -> None:
    first = await case.panel.ensure_account(case.spec("olga_14"))
    case.delete_behind_our_back("olga_14")
    second = await case.panel.ensure_account(case.spec("olga_14"), first.ref)
    stale = AccountRef("olga_14", first.external_id)
    state = await case.panel.get_state(stale)
    assert state is not None
    assert state.external_id == second.external_id
    await case.panel.disable(stale)
    state = await case.panel.get_state(second.ref)
    assert state is not None
    assert state.status is PanelAccountStatus.DISABLED
    await case.panel.delete(stale)
    assert await case.panel.get_state(second.ref) is None


async def test_secrets_never_in_logs(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    case.emulator.faults.fail_next(1, status=502)
    await case.panel.ensure_account(case.spec())
    if case.is_xui:
        case.xui.expire_sessions()
    await case.panel.disable(AccountRef("alice_01"))
    bad = (
        case.make_panel(password="wrong-password")
        if case.is_xui
        else case.make_panel(api_token="wrong-token")
    )
    with pytest.raises(PanelAuthError):
        await bad.get_state(AccountRef("alice_01"))
    assert caplog.records
    for secret in (*case.secrets, "wrong-password", "wrong-token"):
        assert secret not in caplog.text
