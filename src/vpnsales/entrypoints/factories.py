"""Adapters built from settings. Shared by the container and `check-config`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from vpnsales.adapters.panels import PanelObserver, Timeouts
from vpnsales.adapters.panels.registry import StaticPanelRegistry
from vpnsales.adapters.panels.remnawave import RemnawaveConfig, RemnawavePanel
from vpnsales.adapters.panels.xui import XuiConfig, XuiPanel
from vpnsales.adapters.payments.cryptopay import CryptoPayConfig, CryptoPayGateway
from vpnsales.adapters.payments.stars import StarsGateway
from vpnsales.adapters.payments.yookassa import (
    YooKassaConfig,
    YooKassaGateway,
    YooKassaReceiptDefaults,
)
from vpnsales.application.policy import RefundMode, ShopPolicy
from vpnsales.application.ports.panels import PanelGroup, VpnPanel
from vpnsales.application.ports.payments import PaymentGateway
from vpnsales.domain.ids import PanelId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.referral import ReferralPolicy, ReferrerRewardKind
from vpnsales.entrypoints.config import PanelSettings, Settings

# A syntactically valid token for processes that never talk to Telegram (demo, CLI).
PLACEHOLDER_TOKEN = "000000:" + "A" * 35


def shop_policy(settings: Settings) -> ShopPolicy:
    shop = settings.shop
    currency = Currency(shop.currency)
    return ShopPolicy(
        base_currency=currency,
        trial_tariff_code=shop.trial_tariff or None,
        referral=ReferralPolicy(
            invitee_discount_percent=shop.referral_invitee_discount_percent,
            invitee_bonus_days=shop.referral_invitee_bonus_days,
            referrer_reward=ReferrerRewardKind(shop.referral_reward),
            referrer_percent=shop.referral_percent,
            referrer_days=shop.referral_days,
        ),
        reminder_hours=tuple(shop.reminder_hours),
        traffic_alert_percents=tuple(shop.traffic_alert_percents),
        payment_ttl=timedelta(minutes=shop.payment_ttl_minutes),
        recheck_after=timedelta(minutes=shop.recheck_after_minutes),
        refund_mode=RefundMode(shop.refund_mode),
        large_payment=(
            Money.of(shop.large_payment, currency) if shop.large_payment is not None else None
        ),
        rub_per_star=Decimal(shop.rub_per_star),
        auto_renew_days_before=shop.auto_renew_days_before,
        payment_received_delay=timedelta(seconds=shop.payment_received_delay_seconds),
        sweep_batch=settings.worker.sweep_batch,
        outbox_batch=settings.worker.outbox_batch,
        outbox_max_attempts=settings.worker.outbox_max_attempts,
    )


def build_bot(settings: Settings) -> Bot:
    """The aiogram Bot (HTML parse mode); a local Bot API server when ``api_base`` is set."""
    token = settings.telegram.token.get() or PLACEHOLDER_TOKEN
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
        if settings.telegram.api_base
        else AiohttpSession()
    )
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def build_panel(
    panel: PanelSettings,
    *,
    now: Callable[[], datetime] | None = None,
    observer: PanelObserver | None = None,
) -> VpnPanel:
    """``observer`` hears of every API call and circuit change (metrics)."""
    kw: dict[str, Any] = {"observer": observer}
    if now is not None:
        kw["clock"] = now
    timeouts = Timeouts(
        connect=min(5.0, panel.timeout_seconds),
        read=panel.timeout_seconds,
        write=panel.timeout_seconds,
    )
    if panel.kind == "remnawave":
        return RemnawavePanel(
            RemnawaveConfig(
                panel_id=PanelId(panel.id),
                base_url=panel.base_url,
                api_token=panel.token.get(),  # type: ignore[arg-type]
                dialect=panel.dialect,  # type: ignore[arg-type]
                timeouts=timeouts,
                default_squads=tuple(panel.squads),
                circuit_reset_timeout=panel.circuit_reset_seconds,
            ),
            **kw,
        )
    return XuiPanel(
        XuiConfig(
            panel_id=PanelId(panel.id),
            base_url=panel.base_url,
            username=panel.username,
            password=panel.password.get(),  # type: ignore[arg-type]
            dialect=panel.dialect,  # type: ignore[arg-type]
            api_token=panel.token.get() or None,  # type: ignore[arg-type]
            default_inbounds=tuple(panel.inbounds),
            sub_base_url=panel.sub_base_url or "",
            vless_flow=panel.vless_flow,
            timeouts=timeouts,
            circuit_reset_timeout=panel.circuit_reset_seconds,
        ),
        **kw,
    )


def build_panel_registry(
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
    observer: PanelObserver | None = None,
) -> StaticPanelRegistry:
    """``now``: the application's clock, so panels judge expiry by the same time;
    ``observer``: as in :func:`build_panel`."""
    panels = [build_panel(p, now=now, observer=observer) for p in settings.panels]
    members: dict[str, list[PanelId]] = {}
    for p in settings.panels:
        if p.group:
            members.setdefault(p.group, []).append(PanelId(p.id))
    groups = [PanelGroup(PanelId(name), tuple(ids)) for name, ids in members.items()]
    return StaticPanelRegistry(panels, groups)


def build_gateways(settings: Settings, bot: Bot) -> dict[PaymentProvider, PaymentGateway]:
    """Only the providers the seller configured."""
    gateways: dict[PaymentProvider, PaymentGateway] = {}
    kassa = settings.yookassa
    if kassa.shop_id and kassa.secret_key:
        return_url = kassa.return_url or f"https://t.me/{settings.telegram.bot_username}"
        gateways[PaymentProvider.YOOKASSA] = YooKassaGateway(
            YooKassaConfig(
                shop_id=kassa.shop_id,
                secret_key=kassa.secret_key.get(),
                return_url=return_url,
                api_base=kassa.api_base,
                receipt=YooKassaReceiptDefaults(vat_code=kassa.vat_code),
            )
        )
    crypto = settings.cryptopay
    if crypto.token:
        gateways[PaymentProvider.CRYPTOPAY] = CryptoPayGateway(
            CryptoPayConfig(
                token=crypto.token.get(),
                api_base=crypto.api_base,
                accepted_assets=tuple(crypto.accepted_assets),
            )
        )
    if settings.stars.enabled:
        gateways[PaymentProvider.STARS] = StarsGateway(bot)
    return gateways


async def close_all(items: Mapping[Any, Any] | Sequence[Any]) -> None:
    """``aclose()`` every adapter that owns a client."""
    values = items.values() if isinstance(items, Mapping) else items
    for item in values:
        closer = getattr(item, "aclose", None)
        if closer is not None:
            await closer()
