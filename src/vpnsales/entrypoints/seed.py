"""Tariffs and promo codes from a TOML file (``vpnsales seed FILE``).

Seeding is idempotent: a tariff or promo code whose ``code`` already exists is updated in
place (its id, and so every paid subscription's link to it, stays); new ones are added.
See ``examples/seed.toml`` for every field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

from vpnsales.application.ports.repositories import PromoCodeRepository, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import PanelId, PromoCodeId, TariffId
from vpnsales.domain.limits import GIB, DeviceLimit, Period, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.promo import PromoCode, PromoKind, normalise_code
from vpnsales.domain.tariff import Availability, PanelBinding, Tariff, TariffOption


class SeedError(ValueError):
    """The seed file is wrong; the message says where."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    tariffs_added: int
    tariffs_updated: int
    promos_added: int
    promos_updated: int


def _languages(value: Any, where: str) -> dict[Language, str]:
    if isinstance(value, str):
        return {Language.EN: value}
    if not isinstance(value, Mapping):
        raise SeedError(f"{where}: expected a text or a table of languages")
    try:
        return {Language(k): str(v) for k, v in value.items()}
    except ValueError:
        raise SeedError(f"{where}: languages are en and ru") from None


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise SeedError(f"{where}: not an ISO date/time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_tariff(raw: Mapping[str, Any], *, existing: Tariff | None = None) -> Tariff:
    code = str(raw.get("code", ""))
    where = f"tariff {code or '?'}"
    try:
        options = tuple(
            TariffOption(
                period=Period(int(option["days"])),
                prices={
                    Currency(cur): Money.of(Decimal(str(amount)), cur)
                    for cur, amount in option.get("prices", {}).items()
                },
            )
            for option in raw.get("options", [])
        )
        traffic_gb = raw.get("traffic_gb", 0)
        return Tariff(
            id=existing.id if existing else TariffId(uuid4()),
            code=code,
            names=_languages(raw.get("name", code), f"{where}.name"),
            descriptions=_languages(raw.get("description", ""), f"{where}.description"),
            options=options,
            binding=PanelBinding(
                panel=PanelId(str(raw["panel"])),
                squads=tuple(str(s) for s in raw.get("squads", [])),
                inbounds=tuple(int(i) for i in raw.get("inbounds", [])),
            ),
            traffic=TrafficLimit(
                int(Decimal(str(traffic_gb)) * GIB),
                TrafficResetStrategy(
                    raw.get("traffic_reset", "MONTH" if traffic_gb else "NO_RESET")
                ),
            ),
            devices=DeviceLimit(raw.get("devices")),
            locations=tuple(str(x) for x in raw.get("locations", [])),
            availability=Availability(raw.get("availability", "everyone")),
            order=int(raw.get("order", 0)),
            active=bool(raw.get("active", True)),
            is_trial=bool(raw.get("trial", False)),
        )
    except SeedError:
        raise
    except (DomainError, KeyError, ValueError, TypeError, ArithmeticError) as exc:
        raise SeedError(f"{where}: {exc}") from None


def parse_promo(raw: Mapping[str, Any], *, now: datetime, existing: PromoCode | None) -> PromoCode:
    where = f"promo code {raw.get('code', '?')}"
    try:
        kind = PromoKind(raw["kind"])
        amount = raw.get("amount")
        currency = raw.get("currency", "RUB")
        promo = PromoCode(
            id=existing.id if existing else PromoCodeId(uuid4()),
            code=normalise_code(str(raw["code"])),
            kind=kind,
            created_at=existing.created_at if existing else now,
            percent=Decimal(str(raw["percent"])) if "percent" in raw else None,
            amount=Money.of(Decimal(str(amount)), currency) if amount is not None else None,
            days=int(raw["days"]) if "days" in raw else None,
            valid_from=_time(raw.get("valid_from"), f"{where}.valid_from"),
            valid_until=_time(raw.get("valid_until"), f"{where}.valid_until"),
            max_uses=int(raw["max_uses"]) if "max_uses" in raw else None,
            max_uses_per_customer=int(raw.get("max_uses_per_customer", 1)),
            uses=existing.uses if existing else 0,
            allowed_tariffs=None,
            first_purchase_only=bool(raw.get("first_purchase_only", False)),
            active=bool(raw.get("active", True)),
        )
    except SeedError:
        raise
    except (DomainError, KeyError, ValueError, TypeError, ArithmeticError) as exc:
        raise SeedError(f"{where}: {exc}") from None
    return promo


def read_seed_file(path: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SeedError(f"cannot read {path}: {exc}") from None


async def apply_seed(
    data: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    tariffs: TariffRepository,
    promos: PromoCodeRepository,
    now: datetime,
) -> SeedResult:
    """Upsert everything in one transaction (all or nothing)."""
    added = updated = promos_added = promos_updated = 0
    codes_to_ids: dict[str, TariffId] = {}
    for raw in data.get("tariffs", []):
        existing = await tariffs.get_by_code(str(raw.get("code", "")))
        tariff = parse_tariff(raw, existing=existing)
        if existing is None:
            await tariffs.add(tariff)
            added += 1
        else:
            await tariffs.save(tariff)
            updated += 1
        codes_to_ids[tariff.code] = tariff.id
    for raw in data.get("promo_codes", []):
        code = normalise_code(str(raw.get("code", "")))
        existing_promo = await promos.get_by_code(code, for_update=True)
        promo = parse_promo(raw, now=now, existing=existing_promo)
        allowed = raw.get("tariffs")
        if allowed:
            missing = [c for c in allowed if c not in codes_to_ids]
            for c in missing:
                found = await tariffs.get_by_code(c)
                if found is None:
                    raise SeedError(f"promo code {code}: unknown tariff {c}")
                codes_to_ids[c] = found.id
            promo.allowed_tariffs = frozenset(codes_to_ids[c] for c in allowed)
        if existing_promo is None:
            await promos.add(promo)
            promos_added += 1
        else:
            await promos.save(promo)
            promos_updated += 1
    await uow.commit()
    return SeedResult(added, updated, promos_added, promos_updated)
