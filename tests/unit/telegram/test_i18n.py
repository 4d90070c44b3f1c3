"""Translator behaviour: strictness, fallback, escaping, loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from vpnsales.adapters.telegram.i18n import (
    FtlSyntaxError,
    Html,
    I18n,
    MissingTranslation,
    TranslationError,
    Translator,
    _parse,
    load_resources,
)
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError, PromoCodeExpired


def test_resources_are_parsed_once_per_process() -> None:
    assert load_resources(Language.RU) is load_resources(Language.RU)
    assert I18n(strict=True)._resources[Language.EN] is load_resources(Language.EN)


def test_strict_mode_raises_on_a_missing_key(ru: Translator) -> None:
    with pytest.raises(MissingTranslation):
        ru.get("no-such-key")


def test_strict_mode_raises_on_a_missing_argument(ru: Translator) -> None:
    with pytest.raises(TranslationError):
        ru.get("days-count")


def test_production_mode_falls_back_to_english_then_to_the_key() -> None:
    i18n = I18n(strict=False)
    ru = i18n.for_language(Language.RU)
    ru._patterns.pop("btn-buy")  # simulate a key missing in Russian only
    assert ru.plain("btn-buy") == i18n.for_language(Language.EN).plain("btn-buy")
    assert ru.get("no-such-key") == "no-such-key"
    assert ru.get("days-count")  # missing argument: rendered, not raised


def test_string_arguments_are_escaped_unless_already_html(en: Translator) -> None:
    assert "&lt;Pro&gt; &amp; Co" in en.get("checkout-item", tariff="<Pro> & Co", period="x")
    assert "<Pro>" in en.plain("checkout-item", tariff="<Pro>", period="x")
    assert "<b>x</b>" in en.get("checkout-item", tariff=Html("<b>x</b>"), period="y")
    nested = en.get("payment-method-choose", summary=en.get("checkout-total", amount="$1"))
    assert "<b>To pay: $1</b>" in nested


def test_error_uses_the_error_code(ru: Translator) -> None:
    assert "истёк" in ru.error(PromoCodeExpired())


class _NewError(DomainError):
    code = "brand-new-error"


def test_an_error_without_wording_fails_in_strict_mode_only(ru: Translator) -> None:
    with pytest.raises(MissingTranslation):
        ru.error(_NewError())
    lenient = I18n(strict=False).for_language(Language.RU)
    assert lenient.error(_NewError()) == lenient.get("error-domain-error")


def test_translators_are_per_language(i18n: I18n) -> None:
    assert i18n.for_language(Language.RU).plain("btn-back") == "◀️ Назад"
    assert i18n.for_language(Language.EN).plain("btn-back") == "◀️ Back"


def test_a_broken_ftl_file_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "a.ftl").write_text("good = fine\nbad = { $x\n", encoding="utf-8")
    with pytest.raises(FtlSyntaxError):
        _parse(Language.EN, tmp_path)


def test_a_key_defined_twice_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "a.ftl").write_text("dup = one\n", encoding="utf-8")
    (folder / "b.ftl").write_text("dup = two\n", encoding="utf-8")
    with pytest.raises(FtlSyntaxError, match="dup"):
        _parse(Language.EN, tmp_path)


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_fast_integer_formatting_matches_fluents_default(language: Language) -> None:
    from babel import Locale
    from fluent.runtime.types import FluentInt

    from vpnsales.adapters.telegram.i18n import _Int

    locale = Locale.parse(language.value)
    for n in (0, 1, 7, 999, 1000, 12345, 1_000_000, -1500):
        assert _Int(n).format(locale) == FluentInt(n).format(locale), n


def test_a_remembered_text_is_the_text_formatted_afresh() -> None:
    en = I18n(strict=True).for_language(Language.EN)

    first = [en.get("days-count", days=n) for n in (1, 2, 21)]
    again = [en.get("days-count", days=n) for n in (1, 2, 21)]

    assert first == again == [Translator._render(en, "days-count", {"days": n}) for n in (1, 2, 21)]
    assert en.plain("btn-buy") == en.plain("btn-buy") == "🛒 Buy VPN"


def test_arguments_that_look_equal_are_not_confused() -> None:
    en = I18n(strict=True).for_language(Language.EN)

    plain_name = en.plain("btn-tariff", name="<b>A</b>", price="1")
    escaped_name = en.get("btn-tariff", name="<b>A</b>", price="1")
    count = en.get("days-count", days=1)
    flag = en.get("days-count", days=True)  # equal to 1, formatted as Fluent does

    assert (plain_name, escaped_name) == ("<b>A</b> · from 1", "&lt;b&gt;A&lt;/b&gt; · from 1")
    assert flag == Translator._render(en, "days-count", {"days": True})
    assert count == Translator._render(en, "days-count", {"days": 1})


def test_a_formatting_problem_is_logged_every_time(caplog: pytest.LogCaptureFixture) -> None:
    en = I18n(strict=False).for_language(Language.EN)

    en.get("days-count")
    en.get("days-count")

    assert len([r for r in caplog.records if "formatting" in r.getMessage()]) == 2
