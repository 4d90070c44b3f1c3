"""Callback data: compact, within Telegram's 64 bytes, and safe to parse."""

from __future__ import annotations

import uuid

import pytest

from vpnsales.entrypoints.bot.callbacks import (
    MAX_CALLBACK_BYTES,
    Lang,
    Method,
    Nav,
    Order,
    Purpose,
    Screen,
    Step,
    Sub,
    SubAction,
    TopUp,
    parse_hex_id,
    parse_short_id,
    short_id,
)


def test_short_ids_round_trip_and_garbage_parses_to_none() -> None:
    for _ in range(100):
        value = uuid.uuid4()
        text = short_id(value)
        assert len(text) == 22
        assert ":" not in text
        assert parse_short_id(text) == value
    for garbage in ("", "x", "💥" * 22, "a" * 21, "a" * 23, "!" * 22, uuid.uuid4().hex):
        assert parse_short_id(garbage) is None
    assert parse_hex_id("zz") is None
    assert parse_hex_id("g" * 32) is None


@pytest.mark.parametrize("step", list(Step))
def test_the_longest_order_fits_in_64_bytes(step: Step) -> None:
    data = Order(
        step=step,
        code="x" * 24,
        days=3650,
        purpose=Purpose.PLAN_CHANGE,
        sub=short_id(uuid.uuid4()),
        method=Method.BALANCE,
    ).pack()
    assert len(data.encode()) <= MAX_CALLBACK_BYTES


def test_every_other_callback_is_short() -> None:
    sid = short_id(uuid.uuid4())
    packed = [Nav(to=s).pack() for s in Screen]
    packed += [Sub(action=a, sub=sid).pack() for a in SubAction]
    packed += [Lang(code="ru").pack(), TopUp(amount=100000, method=Method.CRYPTO).pack()]
    assert max(len(p.encode()) for p in packed) <= 30
