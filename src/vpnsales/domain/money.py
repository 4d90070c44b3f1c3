"""Money: ``Decimal`` amount + currency. Never float. Telegram Stars are whole numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from vpnsales.domain.errors import CurrencyMismatch, InvalidValue


class Currency(StrEnum):
    RUB = "RUB"
    USD = "USD"
    EUR = "EUR"
    XTR = "XTR"
    """Telegram Stars: integers only."""

    @property
    def exponent(self) -> int:
        return 0 if self is Currency.XTR else 2

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)


def round_amount(amount: Decimal, currency: Currency) -> Decimal:
    """Round a raw amount the way we charge it: kopecks/cents half-up, Stars always up."""
    mode = ROUND_CEILING if currency is Currency.XTR else ROUND_HALF_UP
    try:
        return amount.quantize(currency.quantum, rounding=mode)
    except InvalidOperation as exc:  # too many digits for the decimal context
        raise InvalidValue("money amount out of range") from exc


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool):
        raise InvalidValue("money amounts must not be float or bool")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidValue("not a decimal amount") from exc
    if not result.is_finite():
        raise InvalidValue("money amount must be finite")
    return result


def _to_currency(currency: Currency | str) -> Currency:
    try:
        return Currency(currency)
    except ValueError:
        raise InvalidValue(f"unknown currency {currency!r}") from None


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, already rounded to the currency's precision."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidValue("money amount must be a finite Decimal")
        if not isinstance(self.currency, Currency):
            raise InvalidValue("unknown currency")
        try:
            quantized = self.amount.quantize(self.currency.quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:  # too many digits for the decimal context
            raise InvalidValue("money amount out of range") from exc
        if quantized != self.amount:
            raise InvalidValue(
                f"{self.currency} amount has more than {self.currency.exponent} decimals"
            )
        if quantized.as_tuple().exponent != self.amount.as_tuple().exponent:
            object.__setattr__(self, "amount", quantized)  # 199 -> 199.00

    @classmethod
    def of(cls, value: Decimal | int | str, currency: Currency | str) -> Money:
        """Build from a raw value, rounding by the currency's rule (half-up; Stars up)."""
        cur = _to_currency(currency)
        return cls(round_amount(_to_decimal(value), cur), cur)

    @classmethod
    def exact(cls, value: Decimal | int | str, currency: Currency | str) -> Money:
        """Build from a value that must already be exact (e.g. a provider's confirmation)."""
        return cls(_to_decimal(value), _to_currency(currency))

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        return cls.of(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise InvalidValue("can only combine Money with Money")
        if other.currency is not self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def times(self, factor: Decimal | int) -> Money:
        """Multiply and round by the currency's rule."""
        return Money.of(self.amount * _to_decimal(factor), self.currency)

    def percent(self, percent: Decimal | int) -> Money:
        """``percent`` % of this amount, rounded by the currency's rule."""
        return Money.of(self.amount * _to_decimal(percent) / Decimal(100), self.currency)

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
