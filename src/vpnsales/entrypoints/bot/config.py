"""What the bot's handlers need from the settings, computed once per process."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vpnsales.domain.money import Currency
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.config import Settings

METHOD_ORDER = (
    PaymentProvider.YOOKASSA,
    PaymentProvider.STARS,
    PaymentProvider.CRYPTOPAY,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BotConfig:
    bot_username: str = "vpnsales_bot"
    support_contact: str = ""
    faq: tuple[str, ...] = ()
    providers: tuple[PaymentProvider, ...] = ()
    """Configured payment providers (buttons are shown for these only)."""
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    throttle_rate: float = 3.0
    trial_enabled: bool = True
    base_currency: Currency = Currency.RUB
    top_up_amounts: tuple[int, ...] = (100, 300, 500, 1000)
    payment_ttl_minutes: int = 60
    return_url: str | None = None
    log_every_update: bool = False
    """One INFO line per update; otherwise only updates slower than ``slow_update_seconds``."""
    slow_update_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings, providers: Iterable[PaymentProvider]) -> BotConfig:
        configured = set(providers)
        tg = settings.telegram
        return cls(
            bot_username=tg.bot_username,
            support_contact=tg.support_contact,
            faq=tuple(settings.shop.faq),
            providers=tuple(p for p in METHOD_ORDER if p in configured),
            admin_ids=frozenset(tg.admin_ids),
            throttle_rate=tg.throttle_rate,
            trial_enabled=bool(settings.shop.trial_tariff),
            base_currency=Currency(settings.shop.currency),
            payment_ttl_minutes=settings.shop.payment_ttl_minutes,
            return_url=settings.yookassa.return_url,
            log_every_update=settings.log.updates == "all",
            slow_update_seconds=settings.log.slow_update_seconds,
        )

    def referral_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"
