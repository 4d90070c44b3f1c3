"""Typed domain errors. Each edge (bot, web, worker) translates them by ``code``.

``code`` is stable and doubles as the Fluent message id suffix (``error-<code>``).
Messages never carry secrets; they are for logs, not for customers.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business-rule violation."""

    code: str = "domain-error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.code)


class InvalidValue(DomainError):
    code = "invalid-value"


class CurrencyMismatch(DomainError):
    code = "currency-mismatch"


class NotFound(DomainError):
    code = "not-found"


class CustomerNotFound(NotFound):
    code = "customer-not-found"


class TariffNotFound(NotFound):
    code = "tariff-not-found"


class SubscriptionNotFound(NotFound):
    code = "subscription-not-found"


class PaymentNotFound(NotFound):
    code = "payment-not-found"


class AccessNotFound(NotFound):
    code = "access-not-found"


class PromoCodeNotFound(NotFound):
    code = "promo-not-found"


class CustomerBanned(DomainError):
    code = "customer-banned"


class InsufficientBalance(DomainError):
    code = "insufficient-balance"


class TariffUnavailable(DomainError):
    code = "tariff-unavailable"


class OptionUnavailable(DomainError):
    code = "option-unavailable"


class PriceUnavailable(DomainError):
    """The tariff option has no price in the requested currency."""

    code = "price-unavailable"


class TrialAlreadyUsed(DomainError):
    code = "trial-already-used"


class TrialUnavailable(DomainError):
    code = "trial-unavailable"


class InvalidSubscriptionTransition(DomainError):
    code = "invalid-subscription-transition"


class PlanChangeNotAllowed(DomainError):
    code = "plan-change-not-allowed"


class InvalidPaymentTransition(DomainError):
    code = "invalid-payment-transition"


class PaymentAmountMismatch(DomainError):
    code = "payment-amount-mismatch"


class PaymentNotOwned(DomainError):
    code = "payment-not-owned"


class PaymentExpired(DomainError):
    code = "payment-expired"


class PaymentProviderUnavailable(DomainError):
    code = "provider-unavailable"


class InvalidPromoCode(DomainError):
    """The text cannot be a promo code (odd characters, length)."""

    code = "promo-invalid"


class PromoCodeExpired(DomainError):
    code = "promo-expired"


class PromoCodeNotStarted(DomainError):
    code = "promo-not-started"


class PromoCodeExhausted(DomainError):
    code = "promo-exhausted"


class PromoCodeAlreadyUsed(DomainError):
    code = "promo-already-used"


class PromoCodeNotApplicable(DomainError):
    code = "promo-not-applicable"


class PromoCodeFirstPurchaseOnly(DomainError):
    code = "promo-first-purchase-only"


class PromoCodeInactive(DomainError):
    code = "promo-inactive"


class PromoCodeAlreadyExists(DomainError):
    code = "promo-exists"


class ReferralNotAllowed(DomainError):
    code = "referral-not-allowed"


class AccessStateError(DomainError):
    code = "access-state"


class PermissionDenied(DomainError):
    code = "permission-denied"


class MaintenanceMode(DomainError):
    code = "maintenance"


class AlreadyExists(DomainError):
    code = "already-exists"


class CustomerAlreadyExists(AlreadyExists):
    code = "customer-exists"


class AccessAlreadyExists(AlreadyExists):
    code = "access-exists"


class DuplicateProviderPayment(AlreadyExists):
    code = "duplicate-provider-payment"
