"""Setup instructions per platform: which app to install and how to add the subscription.

The app list is *data*: :data:`DEFAULT_GUIDES` holds the best-known clients that import
Xray / sing-box subscription links (as of 2025) with their store pages and import
deep links. Apps and their URL schemes change; pass your own guides to
:class:`Instructions` (e.g. loaded from settings) instead of editing code.

**Deep links and Telegram.** Inline buttons accept only ``http(s)://`` and ``tg://``
URLs, so ``happ://add/…`` cannot be a button. Two ways round it:

- ``redirect_base`` (recommended): an https page you host that redirects to the
  deep link given in its query, e.g. ``https://vpn.example.com/open?to=`` — the
  URL-encoded deep link is appended (or substituted for ``{link}`` if the base has
  that placeholder). Then "Add to Happ" is a real button.
- without it, the recommended app's deep link is shown as copyable text (pasting it
  into the phone's browser opens the app) next to the subscription link itself,
  which every listed app can import from the clipboard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from vpnsales.adapters.telegram.i18n import Html, Translator, msgid


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientApp:
    """A VPN client and how to hand it a subscription URL."""

    id: str
    name: str
    download_url: str
    """Store page or official download page (https)."""
    import_scheme: str | None = None
    """Deep link template with ``{url}``, e.g. ``happ://add/{url}``; ``None`` = none known."""
    encode_url: bool = False
    """Percent-encode the subscription URL (apps that read it from a query parameter)."""

    def __post_init__(self) -> None:
        if not self.download_url.startswith("https://"):
            raise ValueError(f"{self.name}: download_url must be https")
        if self.import_scheme is not None and "{url}" not in self.import_scheme:
            raise ValueError(f"{self.name}: import_scheme needs a {{url}} placeholder")

    def import_link(self, subscription_url: str) -> str | None:
        """The deep link that adds ``subscription_url`` to this app, if it has one."""
        if self.import_scheme is None:
            return None
        url = quote(subscription_url, safe="") if self.encode_url else subscription_url
        return self.import_scheme.replace("{url}", url)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformGuide:
    platform: Platform
    apps: tuple[ClientApp, ...]
    """Best first: the first app is the recommended one."""

    def __post_init__(self) -> None:
        if not self.apps:
            raise ValueError(f"{self.platform}: at least one app is needed")

    @property
    def recommended(self) -> ClientApp:
        return self.apps[0]


# Best-known data (2025). Deep-link formats: Happ ``happ://add/<url>``, Streisand
# ``streisand://import/<url>``, v2RayTun ``v2raytun://import/<url>``, Hiddify
# ``hiddify://import/<url>``, v2rayNG ``v2rayng://install-sub?url=<encoded>``.
# v2rayN has no import deep link (add via clipboard / subscription settings).
_HAPP_IOS = ClientApp(
    id="happ",
    name="Happ",
    download_url="https://apps.apple.com/app/happ-proxy-utility/id6504287215",
    import_scheme="happ://add/{url}",
)
_STREISAND = ClientApp(
    id="streisand",
    name="Streisand",
    download_url="https://apps.apple.com/app/streisand/id6450534064",
    import_scheme="streisand://import/{url}",
)
_V2RAYTUN_IOS = ClientApp(
    id="v2raytun",
    name="v2RayTun",
    download_url="https://apps.apple.com/app/v2raytun/id6476628951",
    import_scheme="v2raytun://import/{url}",
)
_HAPP_ANDROID = ClientApp(
    id="happ",
    name="Happ",
    download_url="https://play.google.com/store/apps/details?id=com.happproxy",
    import_scheme="happ://add/{url}",
)
_HIDDIFY_ANDROID = ClientApp(
    id="hiddify",
    name="Hiddify",
    download_url="https://play.google.com/store/apps/details?id=app.hiddify.com",
    import_scheme="hiddify://import/{url}",
)
_V2RAYNG = ClientApp(
    id="v2rayng",
    name="v2rayNG",
    download_url="https://play.google.com/store/apps/details?id=com.v2ray.ang",
    import_scheme="v2rayng://install-sub?url={url}",
    encode_url=True,
)
_HIDDIFY_DESKTOP = ClientApp(
    id="hiddify",
    name="Hiddify",
    download_url="https://github.com/hiddify/hiddify-app/releases/latest",
    import_scheme="hiddify://import/{url}",
)
_HAPP_DESKTOP = ClientApp(
    id="happ",
    name="Happ",
    download_url="https://www.happ.su/main",
    import_scheme="happ://add/{url}",
)
_V2RAYN = ClientApp(
    id="v2rayn",
    name="v2rayN",
    download_url="https://github.com/2dust/v2rayN/releases/latest",
)
_HAPP_MAC = ClientApp(
    id="happ",
    name="Happ",
    download_url="https://apps.apple.com/app/happ-proxy-utility/id6504287215",
    import_scheme="happ://add/{url}",
)

DEFAULT_GUIDES: tuple[PlatformGuide, ...] = (
    PlatformGuide(platform=Platform.IOS, apps=(_HAPP_IOS, _STREISAND, _V2RAYTUN_IOS)),
    PlatformGuide(platform=Platform.ANDROID, apps=(_HAPP_ANDROID, _HIDDIFY_ANDROID, _V2RAYNG)),
    PlatformGuide(platform=Platform.WINDOWS, apps=(_HIDDIFY_DESKTOP, _HAPP_DESKTOP, _V2RAYN)),
    PlatformGuide(platform=Platform.MACOS, apps=(_HIDDIFY_DESKTOP, _HAPP_MAC)),
    PlatformGuide(platform=Platform.LINUX, apps=(_HIDDIFY_DESKTOP, _V2RAYN)),
)

PLATFORM_NAME_KEYS: Mapping[Platform, str] = {
    Platform.IOS: msgid("platform-ios"),
    Platform.ANDROID: msgid("platform-android"),
    Platform.WINDOWS: msgid("platform-windows"),
    Platform.MACOS: msgid("platform-macos"),
    Platform.LINUX: msgid("platform-linux"),
}
PLATFORM_BUTTON_KEYS: Mapping[Platform, str] = {
    Platform.IOS: msgid("btn-platform-ios"),
    Platform.ANDROID: msgid("btn-platform-android"),
    Platform.WINDOWS: msgid("btn-platform-windows"),
    Platform.MACOS: msgid("btn-platform-macos"),
    Platform.LINUX: msgid("btn-platform-linux"),
}
PLATFORM_NOTE_KEYS: Mapping[Platform, str] = {
    Platform.IOS: msgid("guide-note-ios"),
    Platform.ANDROID: msgid("guide-note-android"),
    Platform.WINDOWS: msgid("guide-note-windows"),
    Platform.MACOS: msgid("guide-note-macos"),
    Platform.LINUX: msgid("guide-note-linux"),
}


class GuideCallback(CallbackData, prefix="guide"):
    """Inline button "instructions for <platform>" (handled by the bot's router).

    ``sub`` is the subscription id as 32 hex digits (``uuid.hex``), empty when the
    message is not about one subscription. Fits Telegram's 64-byte callback limit.
    """

    platform: Platform
    sub: str = ""


class Instructions:
    """Renders per-platform setup guides in a customer's language."""

    def __init__(
        self,
        guides: Iterable[PlatformGuide] = DEFAULT_GUIDES,
        *,
        redirect_base: str | None = None,
    ) -> None:
        self._guides: dict[Platform, PlatformGuide] = {g.platform: g for g in guides}
        if redirect_base is not None and not redirect_base.startswith("https://"):
            raise ValueError("redirect_base must be an https URL")
        self.redirect_base = redirect_base

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return tuple(p for p in Platform if p in self._guides)

    def guide(self, platform: Platform) -> PlatformGuide:
        return self._guides[platform]

    def button_url(self, app: ClientApp, subscription_url: str) -> str | None:
        """An https URL that opens ``app`` with the subscription (needs ``redirect_base``)."""
        link = app.import_link(subscription_url)
        if link is None or self.redirect_base is None:
            return None
        encoded = quote(link, safe="")
        if "{link}" in self.redirect_base:
            return self.redirect_base.replace("{link}", encoded)
        return self.redirect_base + encoded

    def render(self, t: Translator, platform: Platform, subscription_url: str) -> Html:
        """The full guide for ``platform`` as Telegram HTML."""
        guide = self.guide(platform)
        app = guide.recommended
        apps = "\n".join(
            t(
                "guide-app-line-recommended" if a is app else "guide-app-line",
                app=a.name,
                url=a.download_url,
            )
            for a in guide.apps
        )
        parts = [
            t("guide-title", platform=t.plain(PLATFORM_NAME_KEYS[platform])),
            t("guide-step-install", apps=Html(apps)),
        ]
        if self.button_url(app, subscription_url) is not None:
            parts.append(t("guide-step-import-button", app=app.name, url=subscription_url))
        else:
            parts.append(t("guide-step-import-manual", app=app.name, url=subscription_url))
            link = app.import_link(subscription_url)
            if link is not None:
                parts.append(t("guide-deeplink-text", app=app.name, link=link))
        parts.append(t("guide-step-connect"))
        parts.append(t(PLATFORM_NOTE_KEYS[platform]))
        return Html("\n\n".join(parts))

    def keyboard(
        self,
        t: Translator,
        platform: Platform,
        subscription_url: str,
        *,
        extra: Iterable[list[InlineKeyboardButton]] = (),
    ) -> InlineKeyboardMarkup:
        """Download buttons, "add to app" buttons (with ``redirect_base``), then ``extra``."""
        rows: list[list[InlineKeyboardButton]] = []
        for app in self.guide(platform).apps:
            row = [
                InlineKeyboardButton(
                    text=t.plain("btn-download-app", app=app.name), url=app.download_url
                )
            ]
            open_url = self.button_url(app, subscription_url)
            if open_url is not None:
                row.append(
                    InlineKeyboardButton(text=t.plain("btn-add-to-app", app=app.name), url=open_url)
                )
            rows.append(row)
        rows.extend(extra)
        return InlineKeyboardMarkup(inline_keyboard=rows)

    def platform_buttons(
        self, t: Translator, *, subscription: str = ""
    ) -> list[list[InlineKeyboardButton]]:
        """Rows of "📱 iPhone", "🤖 Android"… buttons (``GuideCallback``), three per row."""
        buttons = [
            InlineKeyboardButton(
                text=t.plain(PLATFORM_BUTTON_KEYS[p]),
                callback_data=GuideCallback(platform=p, sub=subscription).pack(),
            )
            for p in self.platforms
        ]
        return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def short_steps(t: Translator) -> Html:
    """The three-line version for a QR caption: install, import, connect."""
    return t("guide-short")


__all__ = [
    "DEFAULT_GUIDES",
    "PLATFORM_BUTTON_KEYS",
    "PLATFORM_NAME_KEYS",
    "PLATFORM_NOTE_KEYS",
    "ClientApp",
    "GuideCallback",
    "Instructions",
    "Platform",
    "PlatformGuide",
    "short_steps",
]
