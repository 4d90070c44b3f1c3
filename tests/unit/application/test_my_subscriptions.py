"""ListMySubscriptions: read models, live numbers from the panel, graceful degradation."""

from __future__ import annotations

from vpnsales.application.ports.panels import AccountRef, AccountState
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.fakes import FakePanel

from .conftest import TG, customer, make_shop


async def _bought(shop: InMemoryApp) -> None:
    await customer(shop, language_code="ru")
    await shop.buy(TG, "basic")
    await shop.run_outbox()


async def test_view_shows_status_expiry_days_left_limits_and_link(shop: InMemoryApp) -> None:
    await _bought(shop)
    shop.clock.advance(days=10, hours=1)

    result = await shop.my_subscriptions(telegram_id=TG)

    (view,) = result.subscriptions
    assert view.status is SubscriptionStatus.ACTIVE
    assert view.tariff_code == "basic"
    assert view.tariff_name == "Basic"
    assert view.days_left == 20
    assert view.traffic_limit_bytes == 100 * 1024**3
    assert view.devices_limit == 3
    assert view.subscription_url
    assert view.subscription_url.startswith("https://sub.example/panel-1/")


async def test_live_traffic_and_devices_come_from_the_panel(shop: InMemoryApp) -> None:
    await _bought(shop)
    (access,) = shop.rows("accesses")
    shop.panel.set_usage(access.username, used_bytes=5 * 1024**3, devices=2)

    result = await shop.my_subscriptions(telegram_id=TG)

    (view,) = result.subscriptions
    assert view.live
    assert not result.degraded
    assert view.traffic_used_bytes == 5 * 1024**3
    assert view.devices_connected == 2


async def test_panel_down_degrades_to_the_last_observed_state(shop: InMemoryApp) -> None:
    await _bought(shop)
    shop.panel.down = True

    result = await shop.my_subscriptions(telegram_id=TG)

    (view,) = result.subscriptions
    assert result.degraded
    assert not view.live
    assert view.traffic_used_bytes == 0  # observed at provisioning
    assert view.subscription_url


async def test_a_hanging_panel_is_cut_short_by_the_timeout(shop: InMemoryApp) -> None:
    await _bought(shop)
    shop.panel.hang = True

    result = await shop.my_subscriptions(telegram_id=TG, panel_timeout=0.01)

    assert result.degraded
    shop.panel.release()


async def test_the_panel_is_asked_outside_any_transaction() -> None:
    seen: list[bool] = []

    class Watching(FakePanel):
        async def get_state(self, ref: AccountRef) -> AccountState | None:
            seen.append(shop.db.lock.locked())
            return await super().get_state(ref)

    shop = await make_shop(panels=[Watching("panel-1")])
    await _bought(shop)

    await shop.my_subscriptions(telegram_id=TG)

    assert seen == [False]


async def test_without_live_the_panel_is_not_asked(shop: InMemoryApp) -> None:
    await _bought(shop)
    calls = len(shop.panel.calls)

    result = await shop.my_subscriptions(telegram_id=TG, live=False)

    assert len(result.subscriptions) == 1
    assert len(shop.panel.calls) == calls


async def test_tariff_name_follows_the_customer_language() -> None:
    shop = await make_shop()
    await _bought(shop)
    async with shop.scope() as p:
        tariff = await p.tariffs.get_by_code("basic")
        assert tariff is not None
        tariff.names = {Language.EN: "Basic", Language.RU: "Базовый"}
        await p.tariffs.save(tariff)
        await p.uow.commit()

    result = await shop.my_subscriptions(telegram_id=TG, live=False)

    assert result.subscriptions[0].tariff_name == "Базовый"


async def test_a_customer_without_subscriptions_gets_an_empty_list(shop: InMemoryApp) -> None:
    await customer(shop, 5)

    result = await shop.my_subscriptions(telegram_id=TelegramId(5))

    assert result.subscriptions == ()


async def test_a_customer_the_caller_already_knows_is_not_looked_up(shop: InMemoryApp) -> None:
    await _bought(shop)
    async with shop.scope() as p:
        known = await p.customer_reader.by_telegram_id(TG)
    assert known is not None
    shop.db.tables["customers"].clear()  # a lookup now would find nobody

    result = await shop.my_subscriptions(telegram_id=TG, live=False, customer=known)

    assert [v.tariff_code for v in result.subscriptions] == ["basic"]
