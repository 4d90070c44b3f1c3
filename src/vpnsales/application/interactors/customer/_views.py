"""Building tariff read models from the aggregate (shared by the catalog queries)."""

from __future__ import annotations

from vpnsales.application.interactors.payments._support import option_price
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import TariffOptionView, TariffView
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.tariff import Availability, Tariff, TariffOption


def option_view(option: TariffOption, policy: ShopPolicy) -> TariffOptionView:
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
