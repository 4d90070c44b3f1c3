"""Test data for the bot tests."""

from __future__ import annotations

from vpnsales.domain.limits import DeviceLimit, TrafficLimit
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_tariff, a_trial_tariff, an_option


async def seed_catalog(app: InMemoryApp) -> tuple[Tariff, Tariff]:
    basic = a_tariff(
        code="basic",
        name="Базовый",
        options=(an_option(30, rub=300), an_option(90, rub=810)),
        traffic=TrafficLimit.gib(100),
        devices=DeviceLimit(3),
        locations=("NL", "DE"),
        order=1,
    )
    premium = a_tariff(
        code="premium",
        name="Премиум",
        options=(an_option(30, rub=600), an_option(365, rub=6000)),
        traffic=TrafficLimit.unlimited(),
        devices=DeviceLimit(5),
        locations=("NL", "DE", "FI"),
        order=2,
    )
    await app.add_tariff(basic)
    await app.add_tariff(premium)
    await app.add_tariff(a_trial_tariff())
    return basic, premium
