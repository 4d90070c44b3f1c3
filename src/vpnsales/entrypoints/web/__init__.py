"""The web process: one aiohttp app with the payment, Telegram and panel webhooks,
health probes and Prometheus metrics."""

from vpnsales.entrypoints.web.app import build_web_app
from vpnsales.entrypoints.web.config import RemnawaveHook, WebConfig

__all__ = ["RemnawaveHook", "WebConfig", "build_web_app"]
