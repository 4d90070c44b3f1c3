"""ListTariffs and GetTariff: what a customer may see and buy."""

from __future__ import annotations

import dataclasses

import pytest

from vpnsales.application.ports.readers import CustomerView
from vpnsales.domain.errors import TariffNotFound, TariffUnavailable
from vpnsales.domain.money import Currency, Money
from vpnsales.testing.app import InMemoryApp

from .conftest import TG, YK, customer


async def _deactivate(shop: InMemoryApp, code: str) -> None:
    async with shop.scope() as p:
        tariff = await p.tariffs.get_by_code(code)
        assert tariff is not None
        tariff.deactivate()
        await p.tariffs.save(tariff)
        await p.uow.commit()


async def _view(shop: InMemoryApp) -> CustomerView:
    async with shop.scope() as p:
        view = await p.customer_reader.by_telegram_id(TG)
    assert view is not None
    return view


async def test_catalog_lists_active_public_tariffs_in_display_order(shop: InMemoryApp) -> None:
    await customer(shop)

    catalog = await shop.list_tariffs(telegram_id=TG)

    assert [t.code for t in catalog] == ["intro", "basic", "pro"]


async def test_new_customer_tariffs_disappear_after_the_first_purchase(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")

    catalog = await shop.list_tariffs(telegram_id=TG)

    assert "intro" not in [t.code for t in catalog]


async def test_deactivated_tariff_leaves_the_catalog(shop: InMemoryApp) -> None:
    await _deactivate(shop, "pro")

    catalog = await shop.list_tariffs()

    assert "pro" not in [t.code for t in catalog]


async def test_catalog_offers_stars_converted_from_rubles(shop: InMemoryApp) -> None:
    catalog = await shop.list_tariffs()

    basic = next(t for t in catalog if t.code == "basic")
    month = basic.options[0]
    assert month.prices[Currency.XTR] == Money.of(167, Currency.XTR)  # 300 / 1.8, rounded up
    assert month.per_month == Money.of(300, Currency.RUB)


async def test_hidden_tariff_is_reachable_by_its_link(shop: InMemoryApp) -> None:
    await customer(shop)

    tariff = await shop.get_tariff(code="secret", telegram_id=TG)

    assert tariff.code == "secret"
    assert tariff.hidden


async def test_deactivated_tariff_by_link_is_unavailable(shop: InMemoryApp) -> None:
    await customer(shop)
    await _deactivate(shop, "secret")

    with pytest.raises(TariffUnavailable):
        await shop.get_tariff(code="secret", telegram_id=TG)


async def test_unknown_tariff_by_link_is_not_found(shop: InMemoryApp) -> None:
    with pytest.raises(TariffNotFound):
        await shop.get_tariff(code="nope")


async def test_hidden_tariff_by_link_can_be_bought(shop: InMemoryApp) -> None:
    await customer(shop)

    result = await shop.buy(TG, "secret")

    assert result.subscription_id is not None


async def test_trial_tariff_cannot_be_bought(shop: InMemoryApp) -> None:
    await customer(shop)

    with pytest.raises(TariffUnavailable):
        await shop.start_checkout(telegram_id=TG, tariff_code="trial", days=3, provider=YK)


async def test_the_callers_view_of_the_customer_decides_what_is_listed(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    bought = dataclasses.replace(await _view(shop), has_purchased=True)  # as the bot saw it

    catalog = await shop.list_tariffs(telegram_id=TG, customer=bought)

    assert [t.code for t in catalog] == ["basic", "pro"]


async def test_the_callers_view_of_the_customer_decides_what_can_be_opened(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    bought = dataclasses.replace(await _view(shop), has_purchased=True)

    with pytest.raises(TariffUnavailable):
        await shop.get_tariff(code="intro", telegram_id=TG, customer=bought)


async def test_a_deactivated_tariff_leaves_the_catalog_at_once(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.list_tariffs(telegram_id=TG)

    await _deactivate(shop, "basic")

    assert "basic" not in [t.code for t in await shop.list_tariffs(telegram_id=TG)]
