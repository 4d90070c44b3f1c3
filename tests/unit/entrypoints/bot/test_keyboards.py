"""Keyboards are built once per layout of the same (cached) buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton

from vpnsales.entrypoints.bot.keyboards import button, markup, url_button


def test_the_same_buttons_in_the_same_rows_give_the_same_keyboard() -> None:
    a, b = button("A", "x:1"), button("B", "x:2")
    first = markup([[a, b], [], [a]])
    assert markup([[button("A", "x:1"), button("B", "x:2")], [a]]) is first
    assert [[x.text for x in row] for row in first.inline_keyboard] == [["A", "B"], ["A"]]


def test_another_layout_or_other_buttons_give_another_keyboard() -> None:
    a, b = button("A", "x:1"), button("B", "x:2")
    one_row = markup([[a, b]])
    two_rows = markup([[a], [b]])
    assert two_rows is not one_row
    assert [[x.text for x in row] for row in two_rows.inline_keyboard] == [["A"], ["B"]]
    twin = InlineKeyboardButton(text="A", callback_data="x:1")  # equal, not the same
    assert markup([[twin, b]]) is not one_row
    link = markup([[url_button("Open", "https://example.org/s/abc")]])
    assert link.inline_keyboard[0][0].url == "https://example.org/s/abc"
