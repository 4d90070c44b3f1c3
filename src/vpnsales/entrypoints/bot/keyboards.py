"""Inline keyboards: small builders over aiogram's types (no parsing, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.memo import IdentityMemo
from vpnsales.entrypoints.bot.callbacks import Nav, Screen

Row = list[InlineKeyboardButton]


def button(text: str, data: CallbackData | str) -> InlineKeyboardButton:
    packed = data if isinstance(data, str) else data.pack()
    return _button(text, packed)


@lru_cache(maxsize=4096)
def _button(text: str, packed: str) -> InlineKeyboardButton:
    """Catalog, tariff and renewal buttons repeat across customers: each (label, data)
    is built once (a button is never modified after it is built; see ``_nav_button``)."""
    return InlineKeyboardButton(text=text, callback_data=packed)


def url_button(text: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, url=url)


def nav(t: Translator, key: str, to: Screen) -> InlineKeyboardButton:
    return _nav_button(t.plain(key), to)


@lru_cache(maxsize=1024)
def _nav_button(text: str, to: Screen) -> InlineKeyboardButton:
    """The same few dozen buttons on every screen: built once (never modified after)."""
    return InlineKeyboardButton(text=text, callback_data=Nav(to=to).pack())


_MARKUPS: IdentityMemo[InlineKeyboardMarkup] = IdentityMemo(max_entries=4096)


def markup(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """The keyboard of these rows, remembered per button objects: the buttons above are
    built once, so the menu and the catalog screens repeat the same keyboards, and a
    keyboard (a validated pydantic model) is never modified after it is built."""
    kept = [tuple(r) for r in rows if r]
    return _MARKUPS.get(
        tuple(b for r in kept for b in r),
        tuple(len(r) for r in kept),
        lambda: InlineKeyboardMarkup(inline_keyboard=[list(r) for r in kept]),
    )


def pairs(buttons: Sequence[InlineKeyboardButton]) -> list[Row]:
    return [list(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def back_to_menu(t: Translator) -> Row:
    return [nav(t, "btn-main-menu", Screen.MENU)]


def menu_only(t: Translator) -> InlineKeyboardMarkup:
    return markup([back_to_menu(t)])


def cancel_row(t: Translator) -> Row:
    return [nav(t, "btn-cancel", Screen.CANCEL)]
