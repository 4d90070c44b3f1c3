"""``/healthz`` (the process answers), ``/readyz`` (PostgreSQL and Redis answer) and
``/metrics`` (Prometheus text format; behind a bearer token when
``web.metrics_token`` is set)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable

from aiohttp import web
from dishka.integrations.aiohttp import FromDishka, inject
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from vpnsales.entrypoints.metrics import CONTENT_TYPE_LATEST
from vpnsales.entrypoints.web.state import STATE_KEY

__all__ = ["READY_TIMEOUT", "healthz", "metrics", "readyz"]

logger = logging.getLogger("vpnsales.web")

READY_TIMEOUT = 2.0
"""Seconds each dependency gets to answer a readiness probe."""


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _redis(redis: Redis) -> None:
    await redis.ping()


async def _check(name: str, probe: Awaitable[None]) -> str:
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await probe
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        logger.warning("readiness: %s unavailable (%s)", name, type(exc).__name__)
        return "unavailable"
    return "ok"


@inject
async def readyz(
    request: web.Request, engine: FromDishka[AsyncEngine], redis: FromDishka[Redis]
) -> web.Response:
    database, cache = await asyncio.gather(
        _check("database", _database(engine)), _check("redis", _redis(redis))
    )
    checks = {"database": database, "redis": cache}
    ready = all(value == "ok" for value in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    token = state.config.metrics_token
    if token and not _bearer_matches(request.headers.get("Authorization", ""), token.get()):
        return web.json_response(
            {"error": "unauthorized"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return web.Response(body=state.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _bearer_matches(header: str, expected: str) -> bool:
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
