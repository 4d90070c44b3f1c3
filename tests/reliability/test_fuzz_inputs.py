"""Fuzzing of the other untrusted inputs: promo codes typed by customers, settings from
the environment, callback data of inline buttons.

Each parser either returns a value satisfying its contract or raises its one documented
error (``InvalidPromoCode``, ``ConfigError``, ``ValueError`` from ``CallbackData.unpack``).
"""

from __future__ import annotations

import json
import re
import string
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.domain.errors import InvalidPromoCode
from vpnsales.domain.promo import normalise_code
from vpnsales.entrypoints.bot import callbacks as cb
from vpnsales.entrypoints.bot.admin import callbacks as admin_cb
from vpnsales.entrypoints.config import ConfigError, Settings, load_settings

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_CODE = re.compile(r"^[A-Z0-9_-]{3,32}$")


# -- promo codes -----------------------------------------------------------------------
promo_inputs = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A\s*[A-Za-z0-9_-]{1,40}\s*\Z"),
    st.sampled_from(["ſummer", "ﬀ", "İSTANBUL", "summer\x00", "a" * 65, " sum mer ", "🎁🎁🎁"]),
)


def _check_promo(raw: str) -> None:
    try:
        code = normalise_code(raw)
    except InvalidPromoCode:
        return
    assert _CODE.fullmatch(code)
    assert code == raw.strip().upper()
    assert normalise_code(code) == code  # idempotent
    assert normalise_code(code.lower()) == code


@FAST
@given(raw=promo_inputs)
def test_promo_code_normalisation_is_total_and_idempotent(raw: str) -> None:
    _check_promo(raw)


@FAST
@given(
    code=st.from_regex(r"\A[A-Za-z0-9_-]{3,32}\Z"),
    pad=st.tuples(st.sampled_from(["", " ", "\t", "\n "]), st.sampled_from(["", " ", "\r\n"])),
)
def test_every_well_formed_code_survives_case_and_padding(code: str, pad: tuple[str, str]) -> None:
    assert normalise_code(pad[0] + code + pad[1]) == code.upper()


# -- settings from the environment -----------------------------------------------------
_SECTIONS = {
    "DATABASE": ["URL", "POOL_SIZE", "ECHO"],
    "REDIS": ["URL"],
    "TELEGRAM": ["TOKEN", "MODE", "ADMIN_IDS", "THROTTLE_RATE", "WEBHOOK_SECRET", "ADMIN_CHAT_ID"],
    "WEB": ["PORT", "TRUSTED_PROXIES"],
    "SHOP": ["REMINDER_HOURS", "LARGE_PAYMENT", "RUB_PER_STAR", "REFUND_MODE", "FAQ"],
    "WORKER": ["BROADCAST_RATE", "SWEEP_BATCH"],
    "LOG": ["JSON", "LEVEL"],
    "STARS": ["ENABLED"],
}
MARK = "@@value@@"
env_keys = st.one_of(
    st.sampled_from(
        [f"VPNSALES_{s}__{k}" for s, keys in _SECTIONS.items() for k in keys]
        + ["VPNSALES_DATA_DIR", "VPNSALES_PANELS", "VPNSALES_TELEGRAM", "VPNSALES_X__Y__Z"]
    ),
    st.text(alphabet=string.ascii_uppercase + "_", max_size=20).map(lambda s: "VPNSALES_" + s),
    st.text(max_size=20),
)
env_values = st.one_of(
    st.sampled_from(
        [
            "",
            "true",
            "False",
            "yes",
            "2",
            "-1",
            "1e309",
            "NaN",
            "[1, 2]",
            '["a"]',
            "{}",
            '{"a": 1}',
            "[",
            "null",
            "polling",
            "webhook",
            '[{"id": "p", "kind": "remnawave", "base_url": "http://x"}]',
            '[{"id": 1}]',
            "9" * 5000,
        ]
    ),
    st.text(max_size=40),
    st.text(max_size=20).map(lambda t: f"{MARK}{t}{MARK}"),
    st.lists(st.text(max_size=8), max_size=3).map(lambda v: json.dumps([MARK, *v])),
)
environments = st.dictionaries(env_keys, env_values, max_size=6)


def _check_env(environ: dict[str, str]) -> None:
    message = None
    try:
        loaded = load_settings(environ=environ)
    except ConfigError as exc:
        message = str(exc)
    if message is not None:
        assert MARK not in message  # values (marked ones here) never reach messages
        return
    assert isinstance(loaded, Settings)
    assert isinstance(loaded.telegram.admin_ids, list)
    assert all(isinstance(i, int) for i in loaded.telegram.admin_ids)
    assert loaded.telegram.mode in ("polling", "webhook")
    token = environ.get("VPNSALES_TELEGRAM__TOKEN")
    if token and len(token) >= 4:
        assert token not in repr(loaded.telegram.token)  # secrets never in reprs
        if token.strip()[:1] not in ("[", "{") and token.strip() not in ("true", "false", "null"):
            assert loaded.telegram.token.get() == token


@FAST
@given(environ=environments)
def test_settings_load_or_fail_with_config_error_only(environ: dict[str, str]) -> None:
    _check_env(environ)


def test_a_deeply_nested_env_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_settings(environ={"VPNSALES_TELEGRAM__ADMIN_IDS": "[" * 100_000})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), (" on ", True), ("False", False), ("off", False), ("0", False)],
)
def test_booleans_from_the_environment_mean_what_they_say(raw: str, expected: bool) -> None:
    loaded = load_settings(environ={"VPNSALES_LOG__JSON": raw})
    assert loaded.log.json is expected


# -- callback data ---------------------------------------------------------------------
CALLBACK_CLASSES: list[type[CallbackData]] = [
    cls
    for module in (cb, admin_cb)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, CallbackData) and cls is not CallbackData
]
prefixes = [cls.__prefix__ for cls in CALLBACK_CLASSES]
callback_strings = st.one_of(
    st.text(max_size=64),
    st.tuples(
        st.sampled_from(prefixes),
        st.lists(
            st.text(alphabet=string.ascii_letters + string.digits + "-_=:", max_size=24)
            | st.sampled_from(["", "0", "-1", "9" * 40, "n", "y", "t", "AAAAAAAAAAAAAAAAAAAAAA"]),
            max_size=7,
        ),
    ).map(lambda t: ":".join([t[0], *t[1]])),
)


def _check_callback(data: str) -> None:
    for cls in CALLBACK_CLASSES:
        try:
            parsed = cls.unpack(data)
        except (ValueError, TypeError):
            continue
        packed = parsed.pack()
        assert len(packed.encode()) <= cb.MAX_CALLBACK_BYTES or len(data.encode()) > 64
        assert cls.unpack(packed) == parsed


@FAST
@given(data=callback_strings)
def test_callback_data_unpacks_to_a_valid_value_or_is_refused(data: str) -> None:
    _check_callback(data)


@FAST
@given(text=st.text(max_size=40), raw=st.binary(min_size=16, max_size=16))
def test_short_ids_never_raise_and_round_trip(text: str, raw: bytes) -> None:
    parsed = cb.parse_short_id(text)
    assert parsed is None or cb.short_id(parsed) == text or len(text) == 22
    assert cb.parse_hex_id(text) is None or len(text) == 32
    uuid = UUID(bytes=raw)
    assert cb.parse_short_id(cb.short_id(uuid)) == uuid
    assert cb.parse_hex_id(uuid.hex) == uuid


def _sample_values(cls: type[CallbackData]) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in cls.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, StrEnum):
            fields[name] = st.sampled_from(list(annotation))
        elif annotation is int:
            fields[name] = st.integers(min_value=0, max_value=10**6)
        elif annotation is str:
            fields[name] = st.from_regex(r"\A[A-Za-z0-9_-]{0,22}\Z")
        else:
            return st.just({})
    return st.fixed_dictionaries(fields)


@FAST
@given(data=st.data())
def test_every_button_the_bot_can_build_fits_and_round_trips(data: st.DataObject) -> None:
    for cls in CALLBACK_CLASSES:
        values = data.draw(_sample_values(cls))
        try:
            button = cls(**values)
        except (ValueError, TypeError):
            continue
        packed = button.pack()
        assert cls.unpack(packed) == button


# -- long variants ---------------------------------------------------------------------
@pytest.mark.slow
@SLOW
@given(raw=promo_inputs, environ=environments, data=callback_strings)
def test_inputs_thousands_of_examples(raw: str, environ: dict[str, str], data: str) -> None:
    _check_promo(raw)
    _check_env(environ)
    _check_callback(data)
