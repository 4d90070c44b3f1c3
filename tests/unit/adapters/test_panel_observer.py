"""The panels' observer hook: every call (panel, method, outcome) and every change of the
circuit's state is reported; over httpx's MockTransport, no network."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx

from vpnsales.adapters.panels import CallOutcome, RetryPolicy, Timeouts
from vpnsales.adapters.panels._http import resilient_transport
from vpnsales.adapters.panels.remnawave import RemnawaveConfig, RemnawavePanel
from vpnsales.application.ports.panels import CircuitState, PanelUnavailable
from vpnsales.domain.ids import PanelId
from vpnsales.testing.clock import ManualTimer


class Observer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, CallOutcome]] = []
        self.seconds: list[float] = []
        self.states: list[tuple[str, CircuitState]] = []

    def call_finished(
        self, panel_id: str, method: str, outcome: CallOutcome, seconds: float
    ) -> None:
        self.calls.append((panel_id, method, outcome))
        self.seconds.append(seconds)

    def circuit_changed(self, panel_id: str, state: CircuitState) -> None:
        self.states.append((panel_id, state))


async def _no_sleep(delay: float) -> None:
    return None


def _answers(*statuses: int) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(queue.pop(0) if len(queue) > 1 else queue[0], json={})

    return handler


async def test_each_call_is_reported_with_its_method_and_outcome() -> None:
    observer = Observer()
    client = httpx.AsyncClient(transport=httpx.MockTransport(_answers(200, 404, 503)))
    _, _, _, http = resilient_transport(
        panel_id="p1",
        timeouts=Timeouts(),
        retry=RetryPolicy(attempts=2, jitter=0),
        circuit_failure_threshold=5,
        circuit_reset_timeout=30,
        client=client,
        sleep=_no_sleep,
        observer=observer,
    )
    async with client:
        await http.request("GET", "http://panel.test/a")
        await http.request("POST", "http://panel.test/b")
        with contextlib.suppress(PanelUnavailable):
            await http.request("PATCH", "http://panel.test/c")

    assert observer.calls == [
        ("p1", "GET", CallOutcome.OK),
        ("p1", "POST", CallOutcome.REJECTED),
        ("p1", "PATCH", CallOutcome.UNAVAILABLE),
    ]
    assert all(s >= 0 for s in observer.seconds)
    assert observer.states == [("p1", CircuitState.CLOSED)]  # told once at start


async def test_circuit_changes_are_reported_open_half_open_closed() -> None:
    observer = Observer()
    clock = ManualTimer()
    failing = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if failing[0] else 200, json={})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    _, _, breaker, http = resilient_transport(
        panel_id="p1",
        timeouts=Timeouts(),
        retry=RetryPolicy(attempts=1),
        circuit_failure_threshold=2,
        circuit_reset_timeout=30,
        client=client,
        monotonic=clock,
        sleep=_no_sleep,
        observer=observer,
    )
    async with client:
        for _ in range(3):  # two failures open it, the third is refused at once
            with contextlib.suppress(PanelUnavailable):
                await http.request("GET", "http://panel.test/")
        clock.now += 31
        failing[0] = False
        await http.request("GET", "http://panel.test/")  # the half-open probe succeeds

    assert [state for _, state in observer.states] == [
        CircuitState.CLOSED,
        CircuitState.OPEN,
        CircuitState.HALF_OPEN,
        CircuitState.CLOSED,
    ]
    assert [outcome for _, _, outcome in observer.calls] == [
        CallOutcome.UNAVAILABLE,
        CallOutcome.UNAVAILABLE,
        CallOutcome.CIRCUIT_OPEN,
        CallOutcome.OK,
    ]
    assert breaker.state is CircuitState.CLOSED


async def test_a_panel_adapter_reports_its_calls_under_its_panel_id() -> None:
    observer = Observer()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/users"
        return httpx.Response(200, json={"response": {"users": [], "total": 0}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        panel = RemnawavePanel(
            RemnawaveConfig(panel_id=PanelId("rw"), base_url="http://rw.test", api_token="t"),
            client=client,
            observer=observer,
        )
        assert await panel.list_accounts() == []

    assert observer.calls == [("rw", "GET", CallOutcome.OK)]
    assert observer.states == [("rw", CircuitState.CLOSED)]


async def test_without_an_observer_nothing_changes() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(_answers(200))) as client:
        _, _, _, http = resilient_transport(
            panel_id="p1",
            timeouts=Timeouts(),
            retry=RetryPolicy(),
            circuit_failure_threshold=5,
            circuit_reset_timeout=30,
            client=client,
        )
        response = await http.request("GET", "http://panel.test/")

    assert response.status_code == 200
