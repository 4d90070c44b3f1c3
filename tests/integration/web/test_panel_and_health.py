"""The Remnawave webhook (HMAC over the raw body → ApplyPanelEvent), the health probes
and the metrics endpoint."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dishka import Provider, Scope, provide
from redis.asyncio import Redis

from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.config import Secret
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.web import build_web_app
from vpnsales.entrypoints.web.config import WebConfig

pytestmark = pytest.mark.integration

REMNAWAVE = "/webhooks/remnawave"


async def _bought(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA)
    stack.yookassa.succeed(started.provider_payment_id)
    await stack.yookassa.deliver_webhook(
        stack.url("/webhooks/yookassa"), "payment.succeeded", started.provider_payment_id
    )
    await stack.drain()
    (username,) = stack.panel.users
    return customer, username


async def test_a_panel_event_showing_drift_schedules_a_sync_that_repairs_it(stack):
    _, username = await _bought(stack)
    stack.panel.edit_behind_our_back(username, status="DISABLED")

    status = await stack.panel.send_webhook(stack.url(REMNAWAVE), "user.disabled", username)

    assert status == 200
    (access,) = await stack.rows("accesses")
    assert access["observed_status"] == "disabled"
    assert [m for m in await stack.outbox(OutboxKind.SYNC_ACCESS.value) if m["status"] == "pending"]
    await stack.drain()
    assert stack.panel.users[username].status == "ACTIVE"


async def test_a_wrongly_signed_panel_event_changes_nothing(stack):
    _, username = await _bought(stack)
    stack.panel.edit_behind_our_back(username, status="DISABLED")

    async with stack.unchanged():
        status = await stack.panel.send_webhook(
            stack.url(REMNAWAVE), "user.disabled", username, wrong_signature=True
        )

    assert status == 401
    assert stack.refusals("remnawave", "signature") == 1


async def test_events_about_unknown_accounts_and_other_scopes_are_acknowledged(stack):
    await _bought(stack)
    body = b'{"scope":"node","event":"node.connection_lost","timestamp":"x","data":{}}'

    async with stack.unchanged():
        node = await stack.post(
            REMNAWAVE, body, {"X-Remnawave-Signature": stack.panel.sign_webhook(body)}
        )
        stranger = stack.panel.webhook_body("user.created", next(iter(stack.panel.users)))
        stranger = stranger.replace(b'"username":"', b'"username":"zz')
        unknown = await stack.post(
            REMNAWAVE, stranger, {"X-Remnawave-Signature": stack.panel.sign_webhook(stranger)}
        )

    assert (node[0], unknown[0]) == (200, 200)


async def test_health_readiness_and_metrics(stack):
    assert await stack.get("/healthz") == (200, '{"status": "ok"}')
    status, body = await stack.get("/readyz")
    assert status == 200
    assert '"database": "ok"' in body
    assert '"redis": "ok"' in body
    await stack.post("/webhooks/yookassa", b"{}", {"X-Forwarded-For": "8.8.8.8"})

    status, metrics = await stack.get("/metrics")

    assert status == 200
    assert 'vpnsales_webhook_refusals_total{reason="source_ip",source="yookassa"} 1.0' in metrics
    assert "vpnsales_webhook_seconds_bucket" in metrics


class _DeadRedis(Provider):
    scope = Scope.APP

    @provide
    async def redis(self) -> Redis:
        return Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)


async def test_readiness_fails_when_redis_is_unreachable(stack):
    container = build_container(
        stack.settings,
        database_url=stack.settings.database.url,
        redis_url="redis://127.0.0.1:1/0",
        extra_providers=[_DeadRedis()],
    )
    try:
        app = build_web_app(container, stack.settings)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/readyz")
            body = await response.json()
    finally:
        await container.close()

    assert response.status == 503
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}


async def test_metrics_behind_a_token_refuse_scrapers_without_it(stack):
    container = build_container(
        stack.settings, database_url=stack.settings.database.url, redis_url="redis://127.0.0.1:1/0"
    )
    config = WebConfig.from_settings(stack.settings, metrics_token=Secret("s3cret-scrape"))
    try:
        app = build_web_app(container, stack.settings, config=config)
        async with TestClient(TestServer(app)) as client:
            anonymous = await client.get("/metrics")
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            basic = await client.get("/metrics", headers={"Authorization": "Basic s3cret-scrape"})
            right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
            health = await client.get("/healthz")
            right_body = await right.text()
            anonymous_body = await anonymous.text()
    finally:
        await container.close()

    assert [anonymous.status, wrong.status, basic.status] == [401, 401, 401]
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "vpnsales_" not in anonymous_body
    assert "s3cret" not in anonymous_body
    assert right.status == 200
    assert "vpnsales_webhook_seconds" in right_body
    assert health.status == 200  # probes stay open
