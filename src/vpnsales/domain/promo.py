"""Promo codes: percent off, fixed amount off, bonus days, trial extension, balance credit.

Codes are normalised (trimmed, upper-case) and restricted to ``[A-Z0-9_-]{3,32}``; any
other text is refused with ``InvalidPromoCode`` before it reaches storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from vpnsales.domain.customer import Customer
from vpnsales.domain.errors import (
    InvalidPromoCode,
    InvalidValue,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
    PromoCodeExpired,
    PromoCodeFirstPurchaseOnly,
    PromoCodeInactive,
    PromoCodeNotApplicable,
    PromoCodeNotStarted,
)
from vpnsales.domain.ids import PromoCodeId, TariffId
from vpnsales.domain.money import Money
from vpnsales.domain.pricing import Discount
from vpnsales.domain.time import ensure_aware

_CODE = re.compile(r"^[A-Z0-9_-]{3,32}$")
MAX_RAW_LENGTH = 64


def normalise_code(raw: str) -> str:
    """``" summer-25 "`` → ``"SUMMER-25"``; refuses anything that cannot be a code."""
    if not isinstance(raw, str) or len(raw) > MAX_RAW_LENGTH:
        raise InvalidPromoCode("promo code too long")
    code = raw.strip()
    # upper() would turn some non-ASCII letters into ASCII ones ("ſummer" → "SUMMER")
    if not code.isascii():
        raise InvalidPromoCode("promo code has invalid characters")
    code = code.upper()
    if not _CODE.match(code):
        raise InvalidPromoCode("promo code has invalid characters or length")
    return code


class PromoKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    BONUS_DAYS = "bonus_days"
    """Extra days added to the purchase it is applied to (or to the live subscription)."""
    TRIAL_EXTENSION = "trial_extension"
    """Extra days on the trial."""
    BALANCE_CREDIT = "balance_credit"

    @property
    def applies_at_checkout(self) -> bool:
        return self in (PromoKind.PERCENT, PromoKind.FIXED, PromoKind.BONUS_DAYS)


@dataclass(eq=False, slots=True, kw_only=True)
class PromoCode:
    id: PromoCodeId
    code: str
    kind: PromoKind
    created_at: datetime
    percent: Decimal | None = None
    amount: Money | None = None
    days: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    """Total redemptions allowed; ``None`` = unlimited."""
    max_uses_per_customer: int = 1
    uses: int = 0
    allowed_tariffs: frozenset[TariffId] | None = None
    first_purchase_only: bool = False
    active: bool = True

    def __post_init__(self) -> None:
        self.code = normalise_code(self.code)
        ensure_aware(self.created_at)
        for moment in (self.valid_from, self.valid_until):
            if moment is not None:
                ensure_aware(moment)  # a naive window would break ``check`` with TypeError
        if self.kind is PromoKind.PERCENT:
            if self.percent is None or not Decimal(0) < self.percent <= Decimal(100):
                raise InvalidValue("percent promo needs 0 < percent <= 100")
        elif self.kind in (PromoKind.FIXED, PromoKind.BALANCE_CREDIT):
            if self.amount is None or not self.amount.is_positive:
                raise InvalidValue(f"{self.kind} promo needs a positive amount")
        elif self.days is None or self.days <= 0:
            raise InvalidValue(f"{self.kind} promo needs a positive number of days")
        if self.max_uses is not None and self.max_uses < 1:
            raise InvalidValue("max uses must be at least 1")
        if self.max_uses_per_customer < 1:
            raise InvalidValue("per-customer uses must be at least 1")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise InvalidValue("promo window is empty")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PromoCode) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def discount(self) -> Discount | None:
        if self.kind is PromoKind.PERCENT:
            return Discount(percent=self.percent)
        if self.kind is PromoKind.FIXED:
            return Discount(amount=self.amount)
        return None

    @property
    def bonus_days(self) -> int:
        return (self.days or 0) if self.kind is PromoKind.BONUS_DAYS else 0

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(self.max_uses - self.uses, 0)

    def check(
        self,
        *,
        customer: Customer,
        now: datetime,
        customer_uses: int,
        tariff_id: TariffId | None = None,
    ) -> None:
        """Raise the typed reason why this customer cannot use the code now."""
        now = ensure_aware(now)
        if not self.active:
            raise PromoCodeInactive()
        if self.valid_from is not None and now < self.valid_from:
            raise PromoCodeNotStarted()
        if self.valid_until is not None and now >= self.valid_until:
            raise PromoCodeExpired()
        if self.max_uses is not None and self.uses >= self.max_uses:
            raise PromoCodeExhausted()
        if customer_uses >= self.max_uses_per_customer:
            raise PromoCodeAlreadyUsed()
        if self.first_purchase_only and customer.has_purchased:
            raise PromoCodeFirstPurchaseOnly()
        if self.kind is PromoKind.TRIAL_EXTENSION and customer.has_purchased:
            raise PromoCodeNotApplicable("trial extension is for trial customers")
        if (
            self.allowed_tariffs is not None
            and (tariff_id is None or tariff_id not in self.allowed_tariffs)
            and self.kind.applies_at_checkout
        ):
            raise PromoCodeNotApplicable("promo code does not apply to this tariff")

    def redeem(
        self,
        *,
        customer: Customer,
        now: datetime,
        customer_uses: int,
        tariff_id: TariffId | None = None,
    ) -> None:
        """Check and count one use. Storage must make the count atomic (see ports)."""
        self.check(customer=customer, now=now, customer_uses=customer_uses, tariff_id=tariff_id)
        self.uses += 1

    def reclaim(self, *, customer_uses: int) -> None:
        """Count back a use released for a payment the provider then confirmed late.
        Only the use limits hold (the rest was checked at checkout)."""
        if self.max_uses is not None and self.uses >= self.max_uses:
            raise PromoCodeExhausted()
        if customer_uses >= self.max_uses_per_customer:
            raise PromoCodeAlreadyUsed()
        self.uses += 1

    def release(self) -> None:
        """Give a reserved use back (the checkout it was reserved for did not complete)."""
        if self.uses > 0:
            self.uses -= 1

    def deactivate(self) -> None:
        self.active = False
