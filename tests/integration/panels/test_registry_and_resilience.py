"""The panel registry (least-loaded group member) and the shared resilience pieces."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from vpnsales.adapters.panels import CircuitBreaker, ResilientHttp, RetryPolicy, Secret
from vpnsales.adapters.panels._http import parse_retry_after
from vpnsales.adapters.panels.registry import StaticPanelRegistry
from vpnsales.application.ports.panels import (
    CircuitState,
    PanelGroup,
    PanelRegistry,
    PanelUnavailable,
)
from vpnsales.domain.ids import PanelId


async def test_registry_chooses_the_least_loaded_member(case_factory: Any) -> None:
    a = await case_factory("xui-classic")
    b = await case_factory("xui-3.0")
    c = await case_factory("xui-3.1")
    rw = await case_factory("remnawave-2.x")
    for i in range(3):
        await a.panel.ensure_account(a.spec(f"a_user_{i}"))
    await b.panel.ensure_account(b.spec("b_user_0"))
    for i in range(2):
        await c.panel.ensure_account(c.spec(f"c_user_{i}"))

    group = PanelGroup(PanelId("eu"), (a.panel.panel_id, b.panel.panel_id, c.panel.panel_id))
    registry: PanelRegistry = StaticPanelRegistry([a.panel, b.panel, c.panel, rw.panel], [group])
    assert await registry.choose_for_new(PanelId("eu")) is b.panel
    assert await registry.choose_for_new(rw.panel.panel_id) is rw.panel
    assert registry.get(a.panel.panel_id) is a.panel
    assert len(registry.all()) == 4
    assert registry.candidates(PanelId("eu")) == group.members
    assert registry.candidates(rw.panel.panel_id) == (rw.panel.panel_id,)
    with pytest.raises(KeyError):
        registry.get(PanelId("eu"))
    with pytest.raises(KeyError):
        await registry.choose_for_new(PanelId("nowhere"))

    # an unreachable member is skipped; none reachable → PanelUnavailable
    b.emulator.faults.down = True
    assert await registry.choose_for_new(PanelId("eu")) is c.panel
    a.emulator.faults.down = c.emulator.faults.down = True
    with pytest.raises(PanelUnavailable):
        await registry.choose_for_new(PanelId("eu"))


def test_registry_rejects_bad_groups() -> None:
    with pytest.raises(ValueError, match="unknown"):
        StaticPanelRegistry([], [PanelGroup(PanelId("g"), (PanelId("missing"),))])


def test_circuit_breaker_states() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=lambda: now[0])
    assert breaker.allow()
    assert str(breaker.state) == CircuitState.CLOSED
    breaker.record_failure()
    assert str(breaker.state) == CircuitState.CLOSED
    breaker.record_failure()
    assert str(breaker.state) == CircuitState.OPEN
    assert not breaker.allow()
    now[0] = 10.0
    assert str(breaker.state) == CircuitState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_failure()
    assert str(breaker.state) == CircuitState.OPEN
    now[0] = 25.0
    assert breaker.allow()
    breaker.record_success()
    assert str(breaker.state) == CircuitState.CLOSED
    assert breaker.consecutive_failures == 0


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.5, jitter=0.0)
    assert [policy.delay(i) for i in range(4)] == [0.1, 0.2, 0.4, 0.5]
    assert policy.delay(0, retry_after=3) == 3
    assert RetryPolicy(max_retry_after=1.0, jitter=0).delay(0, retry_after=60) == 1.0
    jittery = RetryPolicy(base_delay=1.0, jitter=0.5)
    assert all(0.5 <= jittery.delay(0) <= 1.5 for _ in range(50))
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_secret_hides_itself() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert f"{secret}" != "hunter2"
    assert secret.get() == "hunter2"


async def test_resilient_http_counts_attempts() -> None:
    statuses = [503, 502, 200]
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = statuses[len(seen)]
        seen.append(status)
        return httpx.Response(status)

    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        http = ResilientHttp(
            client,
            panel_id="p",
            retry=RetryPolicy(attempts=3, base_delay=0.01, jitter=0),
            breaker=CircuitBreaker(),
            sleep=sleep,
        )
        response = await http.request("GET", "http://panel.test/x")
    assert response.status_code == 200
    assert seen == [503, 502, 200]
    assert slept == [0.01, 0.02]
