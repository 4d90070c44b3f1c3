"""Domain errors: one stable code per error, used by every edge to translate it."""

from __future__ import annotations

from vpnsales.domain import errors


def _all_errors() -> list[type[errors.DomainError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.DomainError)
    ]


def test_every_error_has_its_own_code() -> None:
    codes = [error.code for error in _all_errors()]
    assert len(codes) == len(set(codes))


def test_message_defaults_to_the_code() -> None:
    assert str(errors.PromoCodeExpired()) == "promo-expired"


def test_message_can_be_given() -> None:
    assert str(errors.InvalidValue("bad days")) == "bad days"


def test_not_found_errors_share_a_base() -> None:
    assert issubclass(errors.TariffNotFound, errors.NotFound)
    assert issubclass(errors.DuplicateProviderPayment, errors.AlreadyExists)
