from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from vpnsales.entrypoints.config import (
    ConfigError,
    Secret,
    Settings,
    dump_settings,
    env_overrides,
    load_settings,
    reference,
)


def test_defaults_load_without_any_configuration() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.database.url is None
    assert settings.shop.reminder_hours == [72, 24]


def test_environment_variables_map_to_nested_settings() -> None:
    settings = load_settings(
        environ={
            "VPNSALES_TELEGRAM__TOKEN": "123456:" + "A" * 35,
            "VPNSALES_TELEGRAM__ADMIN_IDS": "[1, 2]",
            "VPNSALES_WEB__PORT": "9090",
            "VPNSALES_SHOP__LARGE_PAYMENT": "5000.50",
            "VPNSALES_PANELS": '[{"id": "rw", "kind": "remnawave", "base_url": "http://p"}]',
            "VPNSALES_TEST_DATABASE_URL": "ignored",
        }
    )
    assert settings.telegram.token.get().startswith("123456:")
    assert settings.telegram.admin_ids == [1, 2]
    assert settings.web.port == 9090
    assert settings.shop.large_payment == Decimal("5000.50")
    assert settings.panels[0].kind == "remnawave"


def test_file_is_overridden_by_environment(tmp_path: Path) -> None:
    file = tmp_path / "vpnsales.toml"
    file.write_text('[web]\nport = 1000\nhost = "127.0.0.1"\n', encoding="utf-8")
    settings = load_settings(file, environ={"VPNSALES_WEB__PORT": "2000"})
    assert settings.web.port == 2000
    assert settings.web.host == "127.0.0.1"


def test_unknown_setting_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match=r"telegram: unknown setting\(s\) tokn"):
        load_settings(environ={"VPNSALES_TELEGRAM__TOKN": "x"})


def test_invalid_value_error_names_the_setting_but_not_the_value() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"VPNSALES_WEB__PORT": "not-a-port-s3cr3t"})
    assert "web.port" in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_missing_required_panel_fields_are_named() -> None:
    with pytest.raises(ConfigError, match="missing base_url, kind"):
        load_settings(environ={"VPNSALES_PANELS": '[{"id": "x"}]'})


def test_secrets_never_show_in_reprs_or_dumps() -> None:
    settings = load_settings(
        environ={
            "VPNSALES_YOOKASSA__SECRET_KEY": "live_topsecret",
            "VPNSALES_YOOKASSA__SHOP_ID": "1",
        }
    )
    assert "topsecret" not in repr(settings)
    assert "topsecret" not in str(dump_settings(settings))
    assert settings.yookassa.secret_key.get() == "live_topsecret"
    assert not Secret("")
    assert Secret("a") == Secret("a")


def test_env_overrides_skip_the_config_path_variable() -> None:
    assert env_overrides({"VPNSALES_CONFIG": "x.toml", "OTHER": "1"}) == {}


def test_reference_lists_every_leaf_setting_with_its_env_name() -> None:
    docs = {d.env: d for d in reference()}
    assert "VPNSALES_TELEGRAM__TOKEN" in docs
    assert "VPNSALES_DATABASE__URL" in docs
    assert docs["VPNSALES_WEB__PORT"].default == "8080"
    assert all(d.doc for d in docs.values())


def test_booleans_are_parsed_strictly() -> None:
    for raw, expected in (
        ("False", False),
        ("0", False),
        ("off", False),
        ("TRUE", True),
        ("1", True),
    ):
        assert load_settings(environ={"VPNSALES_DATABASE__ECHO": raw}).database.echo is expected
    with pytest.raises(ConfigError, match=r"database\.echo"):
        load_settings(environ={"VPNSALES_DATABASE__ECHO": "maybe"})


def test_the_payment_received_delay_reaches_the_shop_policy() -> None:
    from datetime import timedelta

    from vpnsales.entrypoints.factories import shop_policy

    default = shop_policy(load_settings(environ={}))
    tuned = shop_policy(
        load_settings(environ={"VPNSALES_SHOP__PAYMENT_RECEIVED_DELAY_SECONDS": "0.5"})
    )

    assert default.payment_received_delay == timedelta(seconds=3)
    assert tuned.payment_received_delay == timedelta(milliseconds=500)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VPNSALES_REDIS__NAMESPACE", "shop one s3cr3t", "redis.namespace: 1-64 letters"),
        ("VPNSALES_REDIS__NAMESPACE", "", "redis.namespace: 1-64 letters"),
        ("VPNSALES_REDIS__NAMESPACE", "s3cr3t" * 20, "redis.namespace: 1-64 letters"),
        ("VPNSALES_SCHEDULE__EXPIRE_SECONDS", "0", "schedule.expire_seconds: at least 1"),
        ("VPNSALES_SCHEDULE__BACKUP_CRON", "s3cr3t *", "schedule.backup_cron: five cron fields"),
    ],
)
def test_section_checks_name_the_setting_but_not_the_value(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(environ={variable: value})
    assert "s3cr3t" not in str(info.value)


def test_a_shop_namespace_and_schedule_come_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "VPNSALES_REDIS__NAMESPACE": "shop-b:prod",
            "VPNSALES_SCHEDULE__REMIND_SECONDS": "120",
            "VPNSALES_SCHEDULE__DAILY_SUMMARY_CRON": "0 6 * * *",
        }
    )
    assert settings.redis.namespace == "shop-b:prod"
    assert settings.schedule.remind_seconds == 120
    assert settings.schedule.daily_summary_cron == "0 6 * * *"
