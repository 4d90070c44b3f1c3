"""Building tariff read models from the aggregate (shared by the catalog queries)."""

from __future__ import annotations

from vpnsales.application.interactors.payments._support import option_price
from vpnsales.application.memo import IdentityMemo
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import (
    CustomerReader,
    CustomerView,
    TariffOptionView,
    TariffView,
)
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.tariff import Availability, Tariff, TariffOption

_OPTION_VIEWS: IdentityMemo[TariffOptionView] = IdentityMemo()
_TARIFF_VIEWS: IdentityMemo[TariffView] = IdentityMemo()


def option_view(option: TariffOption, policy: ShopPolicy) -> TariffOptionView:
    """The view of ``option`` under ``policy``, remembered per option and policy object:
    both are frozen, and the bot's catalog hands out the same tariffs for seconds, so
    every catalog screen in that time reuses the prices (the Stars conversion and the
    per-month price are most of a catalog screen's own work)."""
    return _OPTION_VIEWS.get((option, policy), (), lambda: _option_view(option, policy))


def _option_view(option: TariffOption, policy: ShopPolicy) -> TariffOptionView:
    prices: dict[Currency, Money] = dict(option.prices)
    if Currency.XTR not in prices and Currency.RUB in prices:
        prices[Currency.XTR] = option_price(option, Currency.XTR, policy)
    per_month: Money | None = None
    try:
        per_month = option.price_per_month(policy.base_currency)
    except DomainError:
        per_month = None
    return TariffOptionView(days=option.days, prices=prices, per_month=per_month)


def tariff_view(tariff: Tariff, language: Language, policy: ShopPolicy) -> TariffView:
    """Remembered per tariff and policy object, like :func:`option_view`: the same view
    object for the same catalog entry lets the bot remember the screens built from it."""
    return _TARIFF_VIEWS.get(
        (tariff, policy), (language,), lambda: _tariff_view(tariff, language, policy)
    )


def _tariff_view(tariff: Tariff, language: Language, policy: ShopPolicy) -> TariffView:
    return TariffView(
        tariff_id=tariff.id,
        code=tariff.code,
        name=tariff.name(language),
        description=tariff.description(language),
        options=tuple(option_view(o, policy) for o in tariff.options),
        traffic_limit_bytes=tariff.traffic.bytes,
        traffic_reset=tariff.traffic.reset.value,
        devices_limit=tariff.devices.count,
        locations=tariff.locations,
        is_trial=tariff.is_trial,
        hidden=tariff.availability is Availability.HIDDEN_LINK,
    )


async def viewer(
    customers: CustomerReader, telegram_id: TelegramId | None, known: CustomerView | None
) -> CustomerView | None:
    """Who is looking: the view the caller already has, else one read (``None``: an
    anonymous visitor or someone who never registered)."""
    if known is not None or telegram_id is None:
        return known
    return await customers.by_telegram_id(telegram_id)
