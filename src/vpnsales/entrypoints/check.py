"""`vpnsales check-config`: validate settings and reach every configured service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from aiogram import Bot
from redis.asyncio import Redis
from sqlalchemy import text

from vpnsales.adapters.persistence import create_engine
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.factories import build_bot, build_panel, close_all

TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        mark = "OK  " if self.ok else "FAIL"
        return f"[{mark}] {self.name}: {self.detail} ({self.seconds * 1000:.0f} ms)"


async def _timed(name: str, probe: Callable[[], Awaitable[str]]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), TIMEOUT)
        ok = True
    except TimeoutError:
        ok, detail = False, f"no answer within {TIMEOUT:.0f} s"
    except Exception as exc:  # every failure is reported, never raised
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return CheckResult(name, ok, detail, time.perf_counter() - started)


async def check_services(
    settings: Settings, *, database_url: str | None, redis_url: str | None
) -> list[CheckResult]:
    checks: list[tuple[str, Callable[[], Awaitable[str]]]] = []

    if database_url:

        async def database() -> str:
            engine = create_engine(database_url, pool_size=1)
            try:
                async with engine.connect() as conn:
                    version = (await conn.execute(text("show server_version"))).scalar_one()
                    head = (
                        await conn.execute(text("select version_num from alembic_version"))
                    ).scalar_one_or_none()
            finally:
                await engine.dispose()
            return f"PostgreSQL {version}, schema revision {head or 'none (run vpnsales migrate)'}"

        checks.append(("database", database))
    if redis_url:

        async def redis() -> str:
            client = Redis.from_url(redis_url, socket_connect_timeout=5)
            try:
                await client.ping()
                info = await client.info("server")
            finally:
                await client.aclose()
            return f"Redis {info.get('redis_version', '?')}"

        checks.append(("redis", redis))

    if settings.telegram.token:

        async def telegram() -> str:
            bot: Bot = build_bot(settings)
            try:
                me = await bot.get_me()
            finally:
                await bot.session.close()
            return f"bot @{me.username}"

        checks.append(("telegram", telegram))

    for panel_settings in settings.panels:

        async def panel(ps=panel_settings) -> str:  # type: ignore[no-untyped-def]
            adapter = build_panel(ps)
            try:
                health = await adapter.health()
            finally:
                await close_all([adapter])
            if not health.reachable:
                raise RuntimeError(health.error or "unreachable")
            nodes = (
                f", nodes {health.nodes_online} online / {health.nodes_offline} offline"
                if health.nodes_online is not None
                else ""
            )
            return f"{ps.kind} {ps.dialect}, {health.accounts} accounts{nodes}"

        checks.append((f"panel {panel_settings.id}", panel))

    if settings.yookassa.shop_id:

        async def yookassa() -> str:
            auth = (settings.yookassa.shop_id, settings.yookassa.secret_key.get())
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                answer = await client.get(
                    f"{settings.yookassa.api_base.rstrip('/')}/payments",
                    params={"limit": 1},
                    auth=auth,
                )
            if answer.status_code == 401:
                raise RuntimeError("credentials refused (check shop_id and secret_key)")
            if answer.status_code >= 400 and answer.status_code != 404:
                raise RuntimeError(f"HTTP {answer.status_code}")
            return f"shop {settings.yookassa.shop_id} reachable"

        checks.append(("yookassa", yookassa))

    if settings.cryptopay.token:

        async def cryptopay() -> str:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                answer = await client.get(
                    f"{settings.cryptopay.api_base.rstrip('/')}/getMe",
                    headers={"Crypto-Pay-API-Token": settings.cryptopay.token.get()},
                )
            body = answer.json()
            if not body.get("ok"):
                raise RuntimeError(f"refused: {body.get('error', {}).get('name', 'unknown')}")
            return f"app {body['result'].get('name', '?')}"

        checks.append(("cryptopay", cryptopay))

    return list(await asyncio.gather(*(_timed(name, probe) for name, probe in checks)))
