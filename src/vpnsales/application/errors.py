"""Application-level errors: conditions of a use case rather than business rules.

They are ``DomainError`` subclasses so every edge translates them by ``code`` the same
way as domain errors.
"""

from __future__ import annotations

from vpnsales.domain.errors import DomainError


class ProviderNotConfigured(DomainError):
    """No gateway is configured for the provider asked for."""

    code = "provider-not-configured"


class CurrencyNotAccepted(DomainError):
    """The provider cannot charge in the currency asked for (Stars take XTR only)."""

    code = "currency-not-accepted"


class SubscriptionNotOwned(DomainError):
    code = "subscription-not-owned"


class TopUpAmountInvalid(DomainError):
    code = "top-up-invalid"
