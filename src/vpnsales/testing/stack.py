"""Every external service at once, emulated on 127.0.0.1, and Settings pointing at them.

    async with EmulatorStack() as stack:
        settings = stack.settings(web_port=0)
        container = build_container(settings, database_url=..., redis_url=...)
        stack.telegram.deliver(...); stack.remnawave.users; stack.yookassa.succeed(...)

Used by the integration tests of the bot, the web entrypoint and the worker, and by
``vpnsales demo``. Panels: one Remnawave (2.x) panel ``rw`` and one 3x-UI (3.1) server
``xui-1`` in the server group ``xui``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from vpnsales.entrypoints.config import Settings, load_settings
from vpnsales.testing.emulators.cryptopay import CryptoPayEmulator
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.emulators.telegram import TelegramEmulator
from vpnsales.testing.emulators.xui import XuiEmulator
from vpnsales.testing.emulators.yookassa import YooKassaEmulator

TELEGRAM_SECRET = "emulated-telegram-webhook-secret"
REMNAWAVE_WEBHOOK_SECRET = "emulated-remnawave-webhook-secret-0123456789"
ADMIN_ID = 100


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class EmulatorStack:
    clock: Callable[[], datetime] = _now
    telegram: TelegramEmulator = field(init=False)
    remnawave: RemnawaveEmulator = field(init=False)
    xui: XuiEmulator = field(init=False)
    yookassa: YooKassaEmulator = field(init=False)
    cryptopay: CryptoPayEmulator = field(init=False)

    def __post_init__(self) -> None:
        self.telegram = TelegramEmulator(clock=self.clock, auto_register_chats=True)
        self.remnawave = RemnawaveEmulator(
            clock=self.clock, webhook_secret=REMNAWAVE_WEBHOOK_SECRET
        )
        self.xui = XuiEmulator(clock=self.clock, dialect="3.1")
        self.yookassa = YooKassaEmulator(clock=self.clock)
        self.cryptopay = CryptoPayEmulator(clock=self.clock)

    @property
    def emulators(self) -> tuple[Any, ...]:
        return (self.telegram, self.remnawave, self.xui, self.yookassa, self.cryptopay)

    async def start(self) -> Self:
        for emulator in self.emulators:
            await emulator.start()
        return self

    async def stop(self) -> None:
        for emulator in reversed(self.emulators):
            await emulator.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def overrides(self, *, web_port: int = 0, data_dir: str | None = None) -> dict[str, Any]:
        """Settings (as plain data) pointing every adapter at the emulators."""
        data: dict[str, Any] = {
            "telegram": {
                "token": self.telegram.token,
                "api_base": self.telegram.base_url,
                "mode": "webhook",
                "webhook_secret": TELEGRAM_SECRET,
                "bot_username": self.telegram.bot_username,
                "admin_ids": [ADMIN_ID],
                "admin_chat_id": ADMIN_ID,
            },
            "web": {
                "host": "127.0.0.1",
                "port": web_port or free_port(),
                "trusted_proxies": ["127.0.0.1"],
            },
            "yookassa": {
                "shop_id": self.yookassa.shop_id,
                "secret_key": self.yookassa.secret_key,
                "api_base": f"{self.yookassa.base_url}/v3",
                "return_url": f"https://t.me/{self.telegram.bot_username}",
            },
            "cryptopay": {
                "token": self.cryptopay.token,
                "api_base": f"{self.cryptopay.base_url}/api",
            },
            "stars": {"enabled": True},
            "panels": [
                {
                    "id": "rw",
                    "kind": "remnawave",
                    "base_url": self.remnawave.base_url,
                    "dialect": self.remnawave.dialect,
                    "token": self.remnawave.api_token,
                    "webhook_secret": REMNAWAVE_WEBHOOK_SECRET,
                    "timeout_seconds": 5.0,
                },
                {
                    "id": "xui-1",
                    "kind": "xui",
                    "base_url": self.xui.base_url + self.xui.web_base_path,
                    "dialect": self.xui.dialect,
                    "username": self.xui.username,
                    "password": self.xui.password,
                    "sub_base_url": self.xui.sub_base,
                    "group": "xui",
                    "timeout_seconds": 5.0,
                },
            ],
            "log": {"json": False},
        }
        if data_dir is not None:
            data["data_dir"] = data_dir
        return data

    def settings(
        self, *, web_port: int = 0, extra: Mapping[str, Any] | None = None, **kw: Any
    ) -> Settings:
        data = self.overrides(web_port=web_port, **kw)
        if extra:
            data = _deep_merge(data, extra)
        return load_settings(environ={}, overrides=data)


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


REDIS_ENV = "VPNSALES_TEST_REDIS_URL"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


class RedisUnavailable(RuntimeError):
    pass


async def find_test_redis() -> str:
    """``VPNSALES_TEST_REDIS_URL`` or the local Redis; raises when none answers."""
    from redis.asyncio import Redis  # local: the test kit stays importable without it

    url = os.environ.get(REDIS_ENV) or LOCAL_REDIS
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:  # connection refused, auth, timeout: all mean "not usable"
        raise RedisUnavailable(f"no Redis at {url}: {type(exc).__name__}") from None
    finally:
        await client.aclose()
    return url
