from __future__ import annotations

import json
import logging

import pytest

from vpnsales.entrypoints.logs import JsonFormatter, log_context, mask, security_event


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        (
            "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
        ),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("postgresql+asyncpg://user:pa55word@db/vpn", "pa55word"),
        ("password=hunter2", "hunter2"),
        ("reach me at a.b@example.com", "a.b@example.com"),
        ("call +7 (912) 345-67-89", "345-67-89"),
        ("card 4111 1111 1111 1111", "4111 1111"),
    ],
)
def test_mask_removes_secrets_and_personal_data(raw: str, secret: str) -> None:
    assert secret not in mask(raw)


def test_mask_keeps_ids_and_amounts() -> None:
    text = "payment 123e4567-e89b-12d3-a456-426614174000 amount 199.00 telegram 123456789"
    assert mask(text) == text


def test_json_lines_carry_context_and_mask() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "paid with %s", ("password=1",), None
    )
    with log_context(update_id=42, payment_id="p-1"):
        line = json.loads(JsonFormatter().format(record))
    assert line["update_id"] == "42"
    assert line["payment_id"] == "p-1"
    assert "password=1" not in line["msg"]


def test_security_events_use_their_own_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="vpnsales.security"):
        security_event("forged_webhook", provider="cryptopay")
    assert caplog.records[0].name == "vpnsales.security"
    assert caplog.records[0].fields == {"event": "forged_webhook", "provider": "cryptopay"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "raw",
    [
        "update 912345678 callback_query in 3.4 ms",
        "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 and password=x",
        "Authorization: Bearer eyJhbGciOi.payload.sig TOKEN: abc API-KEY=zzz",
        "redis://user:pa55word@db/0 from a.b@example.com, +7 (912) 345-67-89",
        "card 4111-1111-1111-1111 / 4111111111111111 / 411111111111",
        "secret: s3cr3t, Secret=\"q\", apikey='k' token 12345678:short",
        "пароль password=hunter2 ٤١١١١١١١١١١١١١١١ +٧٩١٢٣٤٥٦٧٨٩",
        "K-token=x Kelvin ſecret=y ß",
        "",
    ],
)
def test_mask_shortcuts_change_nothing(raw: str) -> None:
    """Skipping the patterns that cannot match gives what running all of them gives."""
    from vpnsales.entrypoints.logs import _MASKS

    expected = raw
    for pattern, replacement, _ in _MASKS:
        expected = pattern.sub(replacement, expected)
    assert mask(raw) == expected
