"""``/metrics`` of the web app built by the composition root: one registry per process,
shared by the web handlers, the bot's dispatcher, the use cases' telemetry and the
panels' observer. Nothing here touches PostgreSQL or Redis (the container builds them
lazily and nobody asks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dishka import AsyncContainer
from redis.asyncio import Redis

from vpnsales.adapters.tasks import Namespace
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.telemetry import Telemetry
from vpnsales.domain.ids import CustomerId, PaymentId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import make_quote
from vpnsales.entrypoints.allinone import front
from vpnsales.entrypoints.config import Settings, load_settings
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.telemetry import PrometheusTelemetry
from vpnsales.entrypoints.web import build_web_app
from vpnsales.entrypoints.web.state import STATE_KEY
from vpnsales.testing.builders import rub

REDIS_URL = "redis://127.0.0.1:6379/0"

FAMILIES = (
    "vpnsales_bot_updates_total",
    "vpnsales_bot_update_seconds",
    "vpnsales_payments_total",
    "vpnsales_payment_anomalies_total",
    "vpnsales_time_to_access_seconds",
    "vpnsales_panel_calls_total",
    "vpnsales_panel_call_seconds",
    "vpnsales_panel_circuit_state",
    "vpnsales_broadcast_messages_total",
    "vpnsales_broadcast_recipients",
    "vpnsales_security_events_total",
    # present before, still there
    "vpnsales_webhook_requests_total",
    "vpnsales_outbox_pending",
)


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        environ={},
        overrides={
            "panels": [
                {"id": "rw", "kind": "remnawave", "base_url": "http://127.0.0.1:9", "token": "t"}
            ],
            "log": {"json": False},
        },
    )


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[AsyncContainer]:
    container = build_container(
        settings,
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/never",
        redis_url="redis://127.0.0.1:9/0",
    )
    yield container
    await container.close()


async def test_metrics_show_every_family_from_the_one_process_registry(
    settings: Settings, container: AsyncContainer
) -> None:
    app = build_web_app(container, settings)
    async with TestClient(TestServer(app)) as client:
        metrics = await container.get(Metrics)
        assert app[STATE_KEY].metrics is metrics  # resolved at start-up, not a private one
        telemetry = await container.get(Telemetry)
        await container.get(PanelRegistry)  # panels report their circuits from the start
        telemetry.payments_moved(
            Payment(
                id=PaymentId(uuid4()),
                customer_id=CustomerId(uuid4()),
                purpose=PaymentPurpose.NEW,
                provider=PaymentProvider.YOOKASSA,
                quote=make_quote(rub(300), tariff_id=None, days=30),
                created_at=datetime.now(UTC),
                status=PaymentStatus.SUCCEEDED,
            )
        )
        metrics.security_event("webhook_refused", source="yookassa", reason="source_ip")

        response = await client.get("/metrics")
        body = await response.text()

    assert response.status == 200
    for family in FAMILIES:
        assert f"# TYPE {family} " in body, family
    assert 'vpnsales_payments_total{provider="yookassa",status="succeeded"} 1.0' in body
    assert 'vpnsales_panel_circuit_state{panel="rw"} 0.0' in body
    assert 'vpnsales_security_events_total{kind="webhook_refused"} 1.0' in body


async def test_a_refused_webhook_is_a_counted_security_event(
    settings: Settings, container: AsyncContainer
) -> None:
    app = build_web_app(container, settings)
    async with TestClient(TestServer(app)) as client:
        await client.post("/webhooks/yookassa", data=b"{}", headers={"X-Forwarded-For": "8.8.8.8"})
        body = await (await client.get("/metrics")).text()

    assert 'vpnsales_security_events_total{kind="webhook_refused"} 1.0' in body


async def test_the_front_shares_one_registry_between_bot_web_and_use_cases(
    settings: Settings,
) -> None:
    """``allinone.front``: the dispatcher the bot runs and the web app's ``/metrics``
    record into the container's ``Metrics`` (its broker needs the real Redis)."""
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception as exc:  # pragma: no cover - environment
        await redis.aclose()
        pytest.skip(f"Redis unavailable: {exc}")
    ns = Namespace(f"vpnsales-metrics-test-{uuid4().hex[:8]}")
    try:
        async with front(
            settings,
            database_url="postgresql+asyncpg://nobody@127.0.0.1:9/never",
            redis_url=REDIS_URL,
            namespace=ns,
        ) as f:
            metrics = await f.container.get(Metrics)
            app = build_web_app(f.container, f.settings, f.dispatcher, bot=f.bot)
            async with TestClient(TestServer(app)):
                assert f.dispatcher["metrics"] is metrics
                assert app[STATE_KEY].metrics is metrics
                assert isinstance(await f.container.get(Telemetry), PrometheusTelemetry)
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{ns.prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
