"""The one aiohttp application: webhooks, health probes and metrics.

    app = build_web_app(container, settings, dispatcher, bot=bot)

Routes:

=====================  =================================================================
POST /webhooks/yookassa    source IP in YooKassa's ranges + re-fetch (``webhooks``)
POST /webhooks/cryptopay   HMAC-SHA256 over the raw body (key SHA256(token)) + re-fetch
POST /webhooks/telegram    secret-token header → the bot's Dispatcher (when given)
POST /webhooks/remnawave   HMAC-SHA256 over the raw body (the panel's webhook secret)
GET  /healthz              the process answers
GET  /readyz               PostgreSQL and Redis answer (503 otherwise)
GET  /metrics              Prometheus
=====================  =================================================================

The container is the composition root's (``entrypoints.di``); handlers get their use
cases with ``FromDishka[...]`` (one REQUEST scope per HTTP request). Bodies above
``WebConfig.client_max_size`` (1 MB) are refused with 413.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from aiohttp.typedefs import Handler
from dishka import AsyncContainer
from dishka.exceptions import NoFactoryError
from dishka.integrations.aiohttp import DISHKA_CONTAINER_KEY, setup_dishka

from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.web.config import WebConfig
from vpnsales.entrypoints.web.health import healthz, metrics, readyz
from vpnsales.entrypoints.web.state import STATE_KEY, WebState
from vpnsales.entrypoints.web.webhooks import (
    TelegramWebhook,
    cryptopay_webhook,
    remnawave_webhook,
    yookassa_webhook,
)

__all__ = ["TELEGRAM_PATH", "build_web_app"]

TELEGRAM_PATH = "/webhooks/telegram"


@web.middleware
async def _observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every webhook delivery (by route name)."""
    name = request.match_info.route.name
    if name is None or not name.startswith("webhook:"):
        return await handler(request)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        request.app[STATE_KEY].metrics.webhook_seconds.labels(
            name.removeprefix("webhook:")
        ).observe(time.perf_counter() - started)


def _metrics_from(
    container: AsyncContainer, state: WebState
) -> Callable[[web.Application], Awaitable[None]]:
    """Share the process's ``Metrics`` (the task kicker counts into it) when the
    container provides one; otherwise the app keeps its own."""

    async def resolve(app: web.Application) -> None:
        with contextlib.suppress(NoFactoryError):
            state.metrics = await container.get(Metrics)

    return resolve


def build_web_app(
    container: AsyncContainer,
    settings: Settings,
    dispatcher: Dispatcher | None = None,
    *,
    bot: Bot | None = None,
    metrics_registry: Metrics | None = None,
    config: WebConfig | None = None,
    close_container: bool = False,
) -> web.Application:
    """Build the app. ``dispatcher`` mounts the Telegram webhook (it must already have
    the container attached, ``entrypoints.bot.attach_container``); ``bot`` defaults to
    the container's. ``close_container``: close the container when the app shuts down
    (the process owns it); tests that own their container leave it ``False``."""
    config = config or WebConfig.from_settings(settings)
    app = web.Application(client_max_size=config.client_max_size, middlewares=[_observe])
    state = WebState(config=config, metrics=metrics_registry or Metrics())
    app[STATE_KEY] = state
    if metrics_registry is None:
        app.on_startup.append(_metrics_from(container, state))
    app.router.add_post("/webhooks/yookassa", yookassa_webhook, name="webhook:yookassa")
    app.router.add_post("/webhooks/cryptopay", cryptopay_webhook, name="webhook:cryptopay")
    app.router.add_post("/webhooks/remnawave", remnawave_webhook, name="webhook:remnawave")
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")
    if dispatcher is not None:
        handler = TelegramWebhook(
            dispatcher,
            bot=bot,
            secret=config.telegram_secret.get(),
            handle_in_background=config.telegram_in_background,
        )
        handler.register(app, path=TELEGRAM_PATH, name="webhook:telegram")
        if bot is not None:
            setup_application(app, dispatcher, bot=bot)
    setup_dishka(container, app, finalize_container=close_container)
    app.middlewares.append(_release_request_scope)  # inside dishka's
    return app


@web.middleware
async def _release_request_scope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Take the request scope out of the request once the handler is done: the scope
    holds the request in its context and the request the scope, a reference cycle that
    left every request's objects to the garbage collector."""
    try:
        return await handler(request)
    finally:
        request.pop(DISHKA_CONTAINER_KEY, None)  # type: ignore[call-overload]
