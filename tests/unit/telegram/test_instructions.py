"""Setup instructions: every platform, best-known deep links, Telegram-safe buttons."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.instructions import (
    DEFAULT_GUIDES,
    ClientApp,
    GuideCallback,
    Instructions,
    Platform,
    PlatformGuide,
)

SUB = "https://sub.example.com/api/sub/abc?x=1&y=2"


def test_every_platform_has_a_guide_with_apps() -> None:
    guides = {g.platform: g for g in DEFAULT_GUIDES}
    assert set(guides) == set(Platform)
    for guide in guides.values():
        assert guide.apps
        for app in guide.apps:
            assert app.download_url.startswith("https://")
    assert Instructions().platforms == tuple(Platform)


def test_deep_links_embed_the_subscription_url() -> None:
    apps = {(g.platform, a.id): a for g in DEFAULT_GUIDES for a in g.apps}
    assert apps[Platform.IOS, "happ"].import_link(SUB) == f"happ://add/{SUB}"
    assert apps[Platform.IOS, "streisand"].import_link(SUB) == f"streisand://import/{SUB}"
    assert apps[Platform.ANDROID, "hiddify"].import_link(SUB) == f"hiddify://import/{SUB}"
    encoded = apps[Platform.ANDROID, "v2rayng"].import_link(SUB)
    assert encoded == f"v2rayng://install-sub?url={quote(SUB, safe='')}"
    assert apps[Platform.WINDOWS, "v2rayn"].import_link(SUB) is None


def test_app_data_is_validated() -> None:
    with pytest.raises(ValueError, match="https"):
        ClientApp(id="x", name="X", download_url="http://x")
    with pytest.raises(ValueError, match="placeholder"):
        ClientApp(id="x", name="X", download_url="https://x", import_scheme="x://add/")
    with pytest.raises(ValueError, match="app"):
        PlatformGuide(platform=Platform.IOS, apps=())
    with pytest.raises(ValueError, match="https"):
        Instructions(redirect_base="http://example.com/?to=")


def test_custom_guides_replace_the_defaults() -> None:
    app = ClientApp(id="own", name="Own", download_url="https://own.example/app")
    instructions = Instructions([PlatformGuide(platform=Platform.LINUX, apps=(app,))])
    assert instructions.platforms == (Platform.LINUX,)
    assert instructions.guide(Platform.LINUX).recommended is app


@pytest.mark.parametrize("platform", list(Platform), ids=lambda p: p.value)
def test_guides_render_in_every_language(translator: Translator, platform: Platform) -> None:
    text = Instructions().render(translator, platform, SUB)
    assert "SUB" not in text
    assert "x=1&amp;y=2" in text, "the link is HTML-escaped"
    for app in Instructions().guide(platform).apps:
        assert app.name in text
        assert app.download_url in text


def test_without_a_redirect_the_deep_link_is_text_and_buttons_are_https(
    en: Translator,
) -> None:
    instructions = Instructions()
    text = instructions.render(en, Platform.IOS, SUB)
    assert "happ://add/" in text
    keyboard = instructions.keyboard(en, Platform.IOS, SUB)
    urls = [b.url for row in keyboard.inline_keyboard for b in row]
    assert urls
    assert all(u is not None and u.startswith("https://") for u in urls)


def test_with_a_redirect_base_apps_get_add_buttons(en: Translator) -> None:
    instructions = Instructions(redirect_base="https://vpn.example.com/open?to=")
    keyboard = instructions.keyboard(en, Platform.ANDROID, SUB)
    urls = [b.url for row in keyboard.inline_keyboard for b in row if b.url]
    expected = "https://vpn.example.com/open?to=" + quote(f"happ://add/{SUB}", safe="")
    assert expected in urls
    assert all(u.startswith("https://") for u in urls)
    assert "happ://add/" not in instructions.render(en, Platform.ANDROID, SUB)
    templated = Instructions(redirect_base="https://r.example/{link}/go")
    app = templated.guide(Platform.IOS).recommended
    assert templated.button_url(app, SUB) == (
        "https://r.example/" + quote(f"happ://add/{SUB}", safe="") + "/go"
    )


def test_platform_buttons_fit_telegram_callback_limits(ru: Translator) -> None:
    rows = Instructions().platform_buttons(ru, subscription="f" * 32)
    buttons = [b for row in rows for b in row]
    assert len(buttons) == len(Platform)
    for button in buttons:
        assert button.callback_data is not None
        assert len(button.callback_data.encode()) <= 64
        parsed = GuideCallback.unpack(button.callback_data)
        assert parsed.sub == "f" * 32
    assert {GuideCallback.unpack(b.callback_data or "").platform for b in buttons} == set(Platform)
