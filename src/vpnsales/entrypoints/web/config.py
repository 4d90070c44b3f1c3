"""What the web handlers need from the settings, computed once per process."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from vpnsales.adapters.payments.webhooks import IPNetwork, parse_networks
from vpnsales.domain.ids import PanelId
from vpnsales.entrypoints.config import Secret, Settings

__all__ = ["RemnawaveHook", "WebConfig"]


@dataclass(frozen=True, slots=True)
class RemnawaveHook:
    """A Remnawave panel allowed to send webhooks, and the secret it signs them with."""

    panel_id: PanelId
    secret: Secret = field(repr=False)
    dialect: str = "2.x"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebConfig:
    trusted_proxies: tuple[IPNetwork, ...] = ()
    """Peers whose ``X-Forwarded-For`` is believed (YooKassa source address check)."""
    cryptopay_token: Secret = field(default_factory=lambda: Secret(""), repr=False)
    telegram_secret: Secret = field(default_factory=lambda: Secret(""), repr=False)
    remnawave: tuple[RemnawaveHook, ...] = ()
    fetch_timeout: float = 8.0
    """Seconds a webhook may spend re-fetching the payment at the provider (retries
    included) before answering 503 so that the provider redelivers."""
    telegram_in_background: bool = False
    """``False``: the update is processed before Telegram gets its answer, so a failure
    (500) makes Telegram redeliver — a ``successful_payment`` is never lost. The bot's
    handlers make no panel calls on that path (outbox), so this stays fast."""
    client_max_size: int = 1024 * 1024
    """Larger bodies are refused with 413."""
    metrics_token: Secret = field(default_factory=lambda: Secret(""), repr=False)
    """When set, ``/metrics`` answers 401 without ``Authorization: Bearer <token>``."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        remnawave_secrets: Mapping[str, str | Secret] | None = None,
        **overrides: object,
    ) -> WebConfig:
        """``remnawave_secrets`` (panel id → secret) wins over the panels' own
        ``webhook_secret`` settings."""
        hooks: list[RemnawaveHook] = []
        for panel in settings.panels:
            if panel.kind != "remnawave":
                continue
            given = (remnawave_secrets or {}).get(panel.id)
            secret = Secret(given) if isinstance(given, str) else given or panel.webhook_secret
            if secret:
                hooks.append(RemnawaveHook(PanelId(panel.id), secret, panel.dialect))
        config = cls(
            trusted_proxies=_networks(settings.web.trusted_proxies),
            cryptopay_token=settings.cryptopay.token,
            telegram_secret=settings.telegram.webhook_secret,
            remnawave=tuple(hooks),
            metrics_token=settings.web.metrics_token,
        )
        if overrides:
            config = replace(config, **overrides)  # type: ignore[arg-type]
        return config


def _networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    return parse_networks(v.strip() for v in values if v.strip())
