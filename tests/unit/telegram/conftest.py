"""Fixtures for the Telegram texts and rendering tests."""

from __future__ import annotations

import pytest

from vpnsales.adapters.telegram.i18n import I18n, Translator
from vpnsales.domain.customer import Language


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return I18n(strict=True)


@pytest.fixture(scope="session")
def ru(i18n: I18n) -> Translator:
    return i18n.for_language(Language.RU)


@pytest.fixture(scope="session")
def en(i18n: I18n) -> Translator:
    return i18n.for_language(Language.EN)


@pytest.fixture(params=list(Language), ids=lambda lang: lang.value)
def translator(request: pytest.FixtureRequest, i18n: I18n) -> Translator:
    return i18n.for_language(request.param)
