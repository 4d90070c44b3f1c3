"""Steps shared by the journey tests."""

from __future__ import annotations

from datetime import timedelta

from vpnsales.application.interactors.customer.my_subscriptions import MySubscriptionsQuery
from vpnsales.application.ports.readers import SubscriptionView
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider
from vpnsales.testing.emulators.telegram import SentMessage, TgUser

from .conftest import Harness

PLATFORM_LABELS = ("iPhone", "Android", "Windows", "macOS", "Linux")


async def subscriptions(h: Harness, user: TgUser) -> tuple[SubscriptionView, ...]:
    result = await h.app.my_subscriptions(telegram_id=TelegramId(user.id), live=False)
    return result.subscriptions


async def pay_at_provider(h: Harness, provider: PaymentProvider) -> None:
    """The customer pays on the provider's page; its webhook is applied (fetched state)."""
    gateway = h.app.gateways[provider]
    request = gateway.created[-1]
    paid = gateway.succeed(request.payment_id)
    await h.app.confirm_provider_payment(paid)


def assert_access_card(h: Harness, card: SentMessage, url: str) -> None:
    assert card.photo is not None
    assert card.photo.startswith(b"\x89PNG")
    assert url in (card.plain_text or "")
    labels = " ".join(b["text"] for b in card.buttons)
    for platform in PLATFORM_LABELS:
        assert platform in labels


async def expire(h: Harness, view: SubscriptionView) -> None:
    """Time passes beyond the end and the worker's sweep expires the subscription."""
    h.app.clock.advance(view.expires_at - h.app.clock.now() + timedelta(days=1))
    async with h.app.scope() as p:
        sub = await p.subscriptions.get(view.subscription_id, for_update=True)
        assert sub is not None
        sub.expire(h.app.clock.now())
        await p.subscriptions.save(sub)
        await p.uow.commit()
    h.dp["directory"].clear()


__all__ = ["MySubscriptionsQuery"]
