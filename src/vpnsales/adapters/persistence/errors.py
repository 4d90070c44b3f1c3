"""Constraint names → typed domain errors.

Every constraint that a business rule relies on is named (see ``tables``); when
PostgreSQL refuses a write because of one of them, the repository raises the matching
domain error instead of a driver exception. Unknown violations propagate unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.domain.errors import (
    AccessAlreadyExists,
    AlreadyExists,
    CustomerAlreadyExists,
    DomainError,
    DuplicateProviderPayment,
    InsufficientBalance,
    PromoCodeAlreadyExists,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
)

CONSTRAINT_ERRORS: dict[str, type[DomainError]] = {
    "pk_customers": CustomerAlreadyExists,
    "uq_customers_telegram_id": CustomerAlreadyExists,
    "uq_customers_referral_code": CustomerAlreadyExists,
    "ck_customers_balance_non_negative": InsufficientBalance,
    "pk_accesses": AccessAlreadyExists,
    "uq_accesses_subscription_id_panel_id": AccessAlreadyExists,
    "uq_payments_provider_provider_payment_id": DuplicateProviderPayment,
    "uq_payments_telegram_charge_id": DuplicateProviderPayment,
    "pk_promo_codes": PromoCodeAlreadyExists,
    "uq_promo_codes_code": PromoCodeAlreadyExists,
    "uq_promo_redemptions_single_use": PromoCodeAlreadyUsed,
    "ck_promo_codes_uses_within_limit": PromoCodeExhausted,
    "pk_admins": AlreadyExists,
    "pk_broadcasts": AlreadyExists,
}


def constraint_name(error: IntegrityError) -> str | None:
    """The violated constraint's name, as reported by asyncpg (or parsed from the text)."""
    original = error.orig
    for candidate in (original, getattr(original, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    message = str(original)
    for known in CONSTRAINT_ERRORS:
        if f'"{known}"' in message:
            return known
    return None


def translate(error: IntegrityError) -> Exception:
    """The domain error for ``error``, or ``error`` itself when it is not one of ours."""
    name = constraint_name(error)
    domain_error = CONSTRAINT_ERRORS.get(name or "")
    if domain_error is None:
        return error
    return domain_error(f"constraint {name} violated")


@asynccontextmanager
async def guarded(session: AsyncSession) -> AsyncIterator[None]:
    """Run a write in a SAVEPOINT and map constraint violations to domain errors.

    The savepoint keeps the surrounding unit of work usable after a typed conflict
    (a caller may catch ``CustomerAlreadyExists`` and load the existing customer).
    """
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        mapped = translate(exc)
        if mapped is exc:
            raise
        raise mapped from exc


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    """Map constraint violations to domain errors without a savepoint (cheaper).

    For writes whose conflict is exceptional: the transaction is then aborted and the
    unit of work must be rolled back.
    """
    try:
        yield
    except IntegrityError as exc:
        mapped = translate(exc)
        if mapped is exc:
            raise
        raise mapped from exc
