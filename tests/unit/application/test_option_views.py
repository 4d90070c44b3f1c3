"""``option_view`` remembers a view per option and policy object (both frozen): the
catalog's repeated screens reuse it; another option or policy gets its own."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from vpnsales.application.interactors.customer._views import _option_view, option_view
from vpnsales.application.policy import ShopPolicy
from vpnsales.domain.money import Currency
from vpnsales.testing.builders import an_option


def test_the_same_option_and_policy_give_the_same_view() -> None:
    option, policy = an_option(30, rub=300), ShopPolicy()

    first = option_view(option, policy)

    assert option_view(option, policy) is first
    assert first == _option_view(option, policy)


def test_an_equal_new_option_or_another_policy_is_priced_anew() -> None:
    option, policy = an_option(30, rub=300), ShopPolicy()
    first = option_view(option, policy)
    dearer_stars = dataclasses.replace(policy, rub_per_star=Decimal("3.6"))

    again = option_view(an_option(30, rub=300), policy)
    converted = option_view(option, dearer_stars)

    assert again == first
    assert again is not first
    assert converted.prices[Currency.XTR] == _option_view(option, dearer_stars).prices[Currency.XTR]
    assert converted.prices[Currency.XTR] != first.prices[Currency.XTR]
