"""Fixtures for the panel adapter suite: one case per dialect emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from vpnsales.adapters.panels import RetryPolicy
from vpnsales.adapters.panels.remnawave import RemnawaveConfig, RemnawavePanel
from vpnsales.adapters.panels.xui import XuiConfig, XuiPanel
from vpnsales.application.ports.panels import AccountSpec
from vpnsales.domain.ids import PanelId
from vpnsales.domain.limits import GIB, DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.emulators.xui import XuiEmulator

KINDS = ["remnawave-2.x", "remnawave-3.x", "xui-classic", "xui-3.0", "xui-3.1"]
XUI_KINDS = ["xui-classic", "xui-3.0", "xui-3.1"]

RW_TOKEN = "rw-secret-token-0123456789"
XUI_PASSWORD = "xui-secret-password-42"
XUI_API_TOKEN = "xui-api-token-abcdef"

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """Wall clock shared by an emulator and its adapter."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@dataclass
class SleepRecorder:
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def fast_retry(attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05, jitter=0.2)


@dataclass
class Case:
    kind: str
    emulator: RemnawaveEmulator | XuiEmulator
    panel: RemnawavePanel | XuiPanel
    clock: FakeClock
    monotonic: FakeMonotonic
    sleeps: SleepRecorder
    extra: list[RemnawavePanel | XuiPanel] = field(default_factory=list)

    @property
    def is_xui(self) -> bool:
        return self.kind.startswith("xui")

    @property
    def rw(self) -> RemnawaveEmulator:
        assert isinstance(self.emulator, RemnawaveEmulator)
        return self.emulator

    @property
    def xui(self) -> XuiEmulator:
        assert isinstance(self.emulator, XuiEmulator)
        return self.emulator

    def add_traffic(self, username: str, nbytes: int) -> None:
        if isinstance(self.emulator, XuiEmulator):
            self.emulator.add_traffic(username, nbytes)
        else:
            self.emulator.add_traffic(username, nbytes)

    def delete_behind_our_back(self, username: str) -> None:
        self.emulator.delete_behind_our_back(username)

    def sub_url(self, subscription_url: str) -> str:
        """Where the emulator serves a subscription URL the adapter reported."""
        if isinstance(self.emulator, RemnawaveEmulator):
            return self.emulator.base_url + self.emulator.subscription_path(subscription_url)
        return subscription_url

    async def fetch_sub(self, subscription_url: str) -> int:
        async with httpx.AsyncClient() as client:
            response = await client.get(self.sub_url(subscription_url))
            return response.status_code

    @property
    def secrets(self) -> tuple[str, ...]:
        return (RW_TOKEN,) if not self.is_xui else (XUI_PASSWORD, XUI_API_TOKEN)

    def spec(self, username: str = "alice_01", **kw: Any) -> AccountSpec:
        return spec(username, clock=self.clock, **kw)

    def make_panel(self, **overrides: Any) -> RemnawavePanel | XuiPanel:
        panel = build_panel(
            self.kind, self.emulator, self.clock, self.monotonic, self.sleeps, **overrides
        )
        self.extra.append(panel)
        return panel


def spec(
    username: str = "alice_01",
    *,
    days: int = 30,
    clock: FakeClock | None = None,
    enabled: bool = True,
    traffic_gib: int = 50,
    devices: int | None = 3,
    telegram_id: int | None = 777001,
    description: str = "order 1",
    sub_id: str | None = None,
    inbounds: tuple[int, ...] = (),
) -> AccountSpec:
    now = (clock or FakeClock())()
    return AccountSpec(
        username=username,
        expires_at=now + timedelta(days=days),
        enabled=enabled,
        traffic=TrafficLimit(traffic_gib * GIB, TrafficResetStrategy.MONTH),
        devices=DeviceLimit(devices),
        telegram_id=telegram_id,
        description=description,
        sub_id=sub_id,
        inbounds=inbounds,
    )


def build_emulator(kind: str, clock: FakeClock, **kw: Any) -> RemnawaveEmulator | XuiEmulator:
    family, dialect = kind.split("-", 1)
    if family == "remnawave":
        return RemnawaveEmulator(dialect=dialect, api_token=RW_TOKEN, clock=clock, **kw)  # type: ignore[arg-type]
    kw.setdefault("web_base_path", "/secretpanel/")
    return XuiEmulator(
        dialect=dialect,  # type: ignore[arg-type]
        password=XUI_PASSWORD,
        api_tokens=(XUI_API_TOKEN,),
        clock=clock,
        **kw,
    )


def build_panel(
    kind: str,
    emulator: RemnawaveEmulator | XuiEmulator,
    clock: FakeClock,
    monotonic: FakeMonotonic,
    sleeps: SleepRecorder,
    **overrides: Any,
) -> RemnawavePanel | XuiPanel:
    family, dialect = kind.split("-", 1)
    overrides.setdefault("retry", fast_retry())
    panel_id = overrides.pop("panel_id", PanelId(kind))
    if family == "remnawave":
        rw_config = RemnawaveConfig(
            panel_id=panel_id,
            base_url=emulator.base_url,
            api_token=overrides.pop("api_token", RW_TOKEN),
            dialect=dialect,  # type: ignore[arg-type]
            **overrides,
        )
        return RemnawavePanel(rw_config, monotonic=monotonic, sleep=sleeps, clock=clock)
    assert isinstance(emulator, XuiEmulator)
    xui_config = XuiConfig(
        panel_id=panel_id,
        base_url=emulator.base,
        username=overrides.pop("username", "admin"),
        password=overrides.pop("password", XUI_PASSWORD),
        dialect=dialect,  # type: ignore[arg-type]
        sub_base_url=emulator.sub_base,
        **overrides,
    )
    return XuiPanel(xui_config, monotonic=monotonic, sleep=sleeps, clock=clock)


async def open_case(kind: str, **emulator_kw: Any) -> Case:
    clock = FakeClock()
    monotonic = FakeMonotonic()
    sleeps = SleepRecorder()
    emulator = await build_emulator(kind, clock, **emulator_kw).start()
    panel = build_panel(kind, emulator, clock, monotonic, sleeps)
    return Case(kind, emulator, panel, clock, monotonic, sleeps)


async def close_case(case: Case) -> None:
    for panel in [case.panel, *case.extra]:
        await panel.aclose()
    await case.emulator.stop()


@pytest.fixture
async def case_factory() -> AsyncIterator[Callable[..., Awaitable[Case]]]:
    """Open extra cases (``await case_factory("xui-3.1", **emulator_kw)``); closed at teardown."""
    opened: list[Case] = []

    async def factory(kind: str, **emulator_kw: Any) -> Case:
        new = await open_case(kind, **emulator_kw)
        opened.append(new)
        return new

    try:
        yield factory
    finally:
        for item in opened:
            await close_case(item)


@pytest.fixture(params=KINDS)
async def case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    opened = await open_case(request.param)
    try:
        yield opened
    finally:
        await close_case(opened)


@pytest.fixture(params=XUI_KINDS)
async def xui_case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    opened = await open_case(request.param)
    try:
        yield opened
    finally:
        await close_case(opened)


@pytest.fixture(params=["remnawave-2.x", "remnawave-3.x"])
async def rw_case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    opened = await open_case(request.param)
    try:
        yield opened
    finally:
        await close_case(opened)
