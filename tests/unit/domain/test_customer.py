"""Customer: language from Telegram, identity by id, append-only balance ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import NOW, PROPERTY, a_customer, entry_id, rub, usd

from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.errors import (
    CurrencyMismatch,
    CustomerBanned,
    InsufficientBalance,
    InvalidValue,
)


@pytest.mark.parametrize("code", ["ru", "ru-RU", "RU", "uk", "be", "kk-KZ"])
def test_language_russian_speaking_codes_map_to_ru(code: str) -> None:
    assert Language.from_telegram(code) is Language.RU


@pytest.mark.parametrize("code", ["en", "en-US", "de", "", None, "rus", "pt-br"])
def test_language_other_codes_fall_back_to_english(code: str | None) -> None:
    assert Language.from_telegram(code) is Language.EN


def test_customers_compare_and_hash_by_id() -> None:
    one = a_customer(username="a")
    same = a_customer(id=one.id, username="b")
    assert one == same
    assert hash(one) == hash(same)
    assert one != a_customer()
    assert one != "customer"


def test_created_at_must_be_aware() -> None:
    with pytest.raises(InvalidValue):
        a_customer(created_at=datetime(2026, 1, 1))


def test_balance_cannot_start_negative() -> None:
    with pytest.raises(InvalidValue):
        a_customer(balance=rub(-1))


def test_new_customer_has_zero_rub_balance() -> None:
    assert a_customer().balance == rub(0)


def test_banned_customer_is_refused() -> None:
    customer = a_customer()
    customer.ban()
    with pytest.raises(CustomerBanned):
        customer.ensure_not_banned()


def test_unbanned_customer_passes() -> None:
    customer = a_customer(banned=True)
    customer.unban()
    customer.ensure_not_banned()


def test_update_profile_reports_a_change() -> None:
    customer = a_customer(username="old", first_name="Ann")
    assert customer.update_profile(username="new", first_name="Ann")
    assert customer.username == "new"


def test_update_profile_reports_no_change() -> None:
    customer = a_customer(username="same", first_name="Ann")
    assert not customer.update_profile(username="same", first_name="Ann")


def test_credit_increases_balance_and_records_entry() -> None:
    customer = a_customer()
    entry = customer.credit(
        rub(50), BalanceReason.REFERRAL_REWARD, NOW, entry_id=entry_id(), reference="pay-1"
    )
    assert customer.balance == rub(50)
    assert customer.new_entries == [entry]
    assert entry.amount == rub(50)
    assert entry.reason is BalanceReason.REFERRAL_REWARD
    assert entry.customer_id == customer.id
    assert entry.reference == "pay-1"
    assert entry.created_at == NOW


def test_debit_decreases_balance_and_records_negative_entry() -> None:
    customer = a_customer(balance=rub(100))
    entry = customer.debit(rub(30), BalanceReason.PURCHASE, NOW, entry_id=entry_id())
    assert customer.balance == rub(70)
    assert entry.amount == rub(-30)
    assert customer.new_entries == [entry]


def test_debit_of_the_whole_balance_leaves_zero() -> None:
    customer = a_customer(balance=rub(100))
    customer.debit(rub(100), BalanceReason.PURCHASE, NOW, entry_id=entry_id())
    assert customer.balance.is_zero


def test_debit_beyond_balance_is_refused_and_changes_nothing() -> None:
    customer = a_customer(balance=rub(10))
    with pytest.raises(InsufficientBalance):
        customer.debit(rub("10.01"), BalanceReason.PURCHASE, NOW, entry_id=entry_id())
    assert customer.balance == rub(10)
    assert customer.new_entries == []


@pytest.mark.parametrize("amount", [rub(0), rub(-5)])
def test_credit_must_be_positive(amount) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue):
        a_customer().credit(amount, BalanceReason.ADMIN_GRANT, NOW, entry_id=entry_id())


@pytest.mark.parametrize("amount", [rub(0), rub(-5)])
def test_debit_must_be_positive(amount) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue):
        a_customer(balance=rub(10)).debit(
            amount, BalanceReason.ADMIN_DEBIT, NOW, entry_id=entry_id()
        )


def test_debit_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        a_customer(balance=rub(10)).debit(usd(1), BalanceReason.PURCHASE, NOW, entry_id=entry_id())


def test_credit_in_another_currency_is_refused_and_records_nothing() -> None:
    customer = a_customer()
    with pytest.raises(CurrencyMismatch):
        customer.credit(usd(1), BalanceReason.TOP_UP, NOW, entry_id=entry_id())
    assert customer.new_entries == []


def test_ledger_entry_needs_an_aware_time() -> None:
    with pytest.raises(InvalidValue):
        a_customer().credit(
            rub(1), BalanceReason.ADMIN_GRANT, datetime(2026, 1, 1), entry_id=entry_id()
        )


def test_ledger_sums_to_the_balance() -> None:
    customer = a_customer()
    customer.credit(rub(100), BalanceReason.TOP_UP, NOW, entry_id=entry_id())
    customer.debit(rub(40), BalanceReason.PURCHASE, NOW, entry_id=entry_id())
    customer.credit(rub("0.50"), BalanceReason.REFUND, NOW, entry_id=entry_id())
    total = rub(0)
    for entry in customer.new_entries:
        total = total + entry.amount
    assert total == customer.balance == rub("60.50")


@PROPERTY
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 100_000)), max_size=30))
def test_balance_is_never_negative_and_equals_the_ledger(ops: list[tuple[bool, int]]) -> None:
    customer = a_customer()
    for is_credit, cents in ops:
        amount = rub(Decimal(cents) / 100)
        if is_credit:
            customer.credit(amount, BalanceReason.TOP_UP, NOW, entry_id=entry_id())
            continue
        try:
            customer.debit(amount, BalanceReason.PURCHASE, NOW, entry_id=entry_id())
        except InsufficientBalance:
            assert amount > customer.balance
        assert not customer.balance.is_negative
    total = rub(0)
    for entry in customer.new_entries:
        total = total + entry.amount
    assert total == customer.balance
