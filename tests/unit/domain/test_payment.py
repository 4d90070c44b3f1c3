"""Payment: succeeded at most once, exact amount, refunds only after success."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.unit.domain.builders import NOW, PROPERTY, a_payment, a_quote, rub, usd, xtr

from vpnsales.domain.errors import (
    InvalidPaymentTransition,
    InvalidValue,
    PaymentAmountMismatch,
)
from vpnsales.domain.payment import Payment, PaymentStatus

LATER = NOW + timedelta(minutes=5)


def a_succeeded_payment() -> Payment:
    payment = a_payment()
    payment.mark_succeeded(rub(199), NOW)
    return payment


def test_new_payment_is_pending_for_the_quote_total() -> None:
    payment = a_payment(a_quote(rub(199)))
    assert payment.status is PaymentStatus.PENDING
    assert payment.amount == rub(199)


def test_payment_needs_aware_creation_time() -> None:
    with pytest.raises(InvalidValue):
        a_payment(created_at=datetime(2026, 1, 1))


def test_payments_compare_and_hash_by_id() -> None:
    payment = a_payment()
    assert payment == payment
    assert hash(payment) == hash(payment.id)
    assert payment != a_payment()
    assert payment != "payment"


def test_attach_provider_records_id_and_url() -> None:
    payment = a_payment()
    payment.attach_provider("yk-1", "https://pay/yk-1")
    assert payment.provider_payment_id == "yk-1"
    assert payment.pay_url == "https://pay/yk-1"


def test_pending_payment_becomes_stale_after_ttl() -> None:
    payment = a_payment()
    assert not payment.is_stale(NOW + timedelta(minutes=59), timedelta(hours=1))
    assert payment.is_stale(NOW + timedelta(hours=1), timedelta(hours=1))


def test_settled_payment_is_never_stale() -> None:
    assert not a_succeeded_payment().is_stale(NOW + timedelta(days=9), timedelta(hours=1))


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (PaymentStatus.PENDING, False),
        (PaymentStatus.SUCCEEDED, False),
        (PaymentStatus.CANCELED, True),
        (PaymentStatus.EXPIRED, True),
        (PaymentStatus.FAILED, True),
        (PaymentStatus.REFUNDED, True),
    ],
)
def test_final_statuses(status: PaymentStatus, final: bool) -> None:
    assert status.is_final is final


# -- succeeded ---------------------------------------------------------------------------


def test_confirmation_of_the_exact_amount_succeeds() -> None:
    payment = a_payment()
    assert payment.mark_succeeded(rub(199), LATER, charge_id="ch-1", saved_method_id="pm-1")
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.confirmed_amount == rub(199)
    assert payment.succeeded_at == LATER
    assert payment.telegram_charge_id == "ch-1"
    assert payment.saved_method_id == "pm-1"
    assert payment.flagged is None


def test_repeated_confirmation_is_a_no_op() -> None:
    payment = a_succeeded_payment()
    assert payment.mark_succeeded(rub(199), LATER, charge_id="other") is False
    assert payment.succeeded_at == NOW
    assert payment.telegram_charge_id is None


def test_confirmation_of_a_refunded_payment_is_a_no_op() -> None:
    payment = a_succeeded_payment()
    payment.mark_refunded(LATER)
    assert payment.mark_succeeded(rub(199), LATER) is False
    assert payment.status is PaymentStatus.REFUNDED


@pytest.mark.parametrize("confirmed", [rub("198.99"), rub(200), rub(0)])
def test_amount_mismatch_flags_and_raises(confirmed) -> None:  # type: ignore[no-untyped-def]
    payment = a_payment()
    with pytest.raises(PaymentAmountMismatch):
        payment.mark_succeeded(confirmed, LATER)
    assert payment.status is PaymentStatus.PENDING
    assert payment.flagged is not None
    assert "mismatch" in payment.flagged
    assert payment.confirmed_amount is None


def test_currency_mismatch_flags_and_raises() -> None:
    payment = a_payment()
    with pytest.raises(PaymentAmountMismatch):
        payment.mark_succeeded(usd(199), LATER)
    assert payment.flagged is not None
    assert payment.status is PaymentStatus.PENDING


def test_same_number_in_stars_is_a_currency_mismatch() -> None:
    payment = a_payment(a_quote(xtr(100)))
    with pytest.raises(PaymentAmountMismatch):
        payment.mark_succeeded(rub(100), LATER)


@pytest.mark.parametrize("close", ["mark_canceled", "mark_expired", "mark_failed"])
def test_late_confirmation_of_a_closed_payment_is_flagged(close: str) -> None:
    payment = a_payment()
    getattr(payment, close)(NOW)
    with pytest.raises(InvalidPaymentTransition):
        payment.mark_succeeded(rub(199), LATER)
    assert payment.flagged is not None
    assert "late confirmation" in payment.flagged
    assert payment.status is not PaymentStatus.SUCCEEDED


def test_confirmation_needs_aware_time() -> None:
    with pytest.raises(InvalidValue):
        a_payment().mark_succeeded(rub(199), datetime(2026, 1, 1))


# -- closing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("close", "status"),
    [
        ("mark_canceled", PaymentStatus.CANCELED),
        ("mark_expired", PaymentStatus.EXPIRED),
        ("mark_failed", PaymentStatus.FAILED),
    ],
)
def test_pending_payment_closes(close: str, status: PaymentStatus) -> None:
    payment = a_payment()
    assert getattr(payment, close)(LATER) is True
    assert payment.status is status
    assert payment.updated_at == LATER


def test_closing_twice_the_same_way_is_a_no_op() -> None:
    payment = a_payment()
    payment.mark_canceled(NOW, "user")
    assert payment.mark_canceled(LATER, "again") is False
    assert payment.failure_reason == "user"


def test_failure_keeps_its_reason() -> None:
    payment = a_payment()
    payment.mark_failed(NOW, "card declined")
    assert payment.failure_reason == "card declined"


def test_expiry_records_its_reason() -> None:
    payment = a_payment()
    payment.mark_expired(NOW)
    assert payment.failure_reason == "expired"


@pytest.mark.parametrize("close", ["mark_canceled", "mark_expired", "mark_failed"])
def test_succeeded_payment_cannot_be_closed(close: str) -> None:
    payment = a_succeeded_payment()
    with pytest.raises(InvalidPaymentTransition):
        getattr(payment, close)(LATER)
    assert payment.status is PaymentStatus.SUCCEEDED


def test_closed_payment_cannot_move_to_another_closed_status() -> None:
    payment = a_payment()
    payment.mark_canceled(NOW)
    with pytest.raises(InvalidPaymentTransition):
        payment.mark_expired(LATER)


# -- refund ------------------------------------------------------------------------------


def test_refund_a_succeeded_payment() -> None:
    payment = a_succeeded_payment()
    assert payment.mark_refunded(LATER) is True
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_at == LATER


def test_repeated_refund_is_a_no_op() -> None:
    payment = a_succeeded_payment()
    payment.mark_refunded(LATER)
    assert payment.mark_refunded(LATER + timedelta(hours=1)) is False
    assert payment.refunded_at == LATER


@pytest.mark.parametrize("close", [None, "mark_canceled", "mark_expired", "mark_failed"])
def test_only_succeeded_payments_can_be_refunded(close: str | None) -> None:
    payment = a_payment()
    if close:
        getattr(payment, close)(NOW)
    with pytest.raises(InvalidPaymentTransition):
        payment.mark_refunded(LATER)


# -- properties --------------------------------------------------------------------------

events = st.lists(
    st.one_of(
        st.tuples(st.just("confirm"), st.sampled_from([rub(199), rub(198), usd(199), xtr(199)])),
        st.tuples(st.sampled_from(["cancel", "expire", "fail", "refund"]), st.none()),
    ),
    max_size=20,
)


@PROPERTY
@given(events)
def test_no_event_sequence_credits_twice_or_refunds_an_unpaid_payment(
    sequence: list[tuple[str, object]],
) -> None:
    payment = a_payment()
    credits = 0
    succeeded_before = False
    for name, amount in sequence:
        before = payment.status
        try:
            if name == "confirm":
                credits += payment.mark_succeeded(amount, LATER)  # type: ignore[arg-type]
            elif name == "cancel":
                payment.mark_canceled(LATER)
            elif name == "expire":
                payment.mark_expired(LATER)
            elif name == "fail":
                payment.mark_failed(LATER)
            else:
                payment.mark_refunded(LATER)
        except (InvalidPaymentTransition, PaymentAmountMismatch):
            assert payment.status is before
        succeeded_before |= payment.status is PaymentStatus.SUCCEEDED
        if payment.status is PaymentStatus.REFUNDED:
            assert succeeded_before
    assert credits <= 1
    if credits:
        assert payment.confirmed_amount == payment.amount


class PaymentNotifications(RuleBasedStateMachine):
    """Providers retry, reorder and forge notifications; the payment stays consistent."""

    def __init__(self) -> None:
        super().__init__()
        self.payment = a_payment()
        self.credits = 0
        self.ever_succeeded = False

    @rule(amount=st.sampled_from([rub(199), rub("199.01"), usd(199)]))
    def confirm(self, amount) -> None:  # type: ignore[no-untyped-def]
        try:
            self.credits += self.payment.mark_succeeded(amount, LATER)
        except PaymentAmountMismatch:
            assert amount != self.payment.amount
        except InvalidPaymentTransition:
            assert self.payment.status.is_final

    @rule(name=st.sampled_from(["mark_canceled", "mark_expired", "mark_failed"]))
    def close(self, name: str) -> None:
        was_pending = self.payment.status is PaymentStatus.PENDING
        try:
            getattr(self.payment, name)(LATER)
        except InvalidPaymentTransition:
            assert not was_pending

    @rule()
    def refund(self) -> None:
        try:
            self.payment.mark_refunded(LATER)
        except InvalidPaymentTransition:
            assert not self.ever_succeeded

    @invariant()
    def credited_at_most_once(self) -> None:
        assert self.credits <= 1
        self.ever_succeeded |= self.payment.status is PaymentStatus.SUCCEEDED

    @invariant()
    def refunded_only_after_success(self) -> None:
        if self.payment.status is PaymentStatus.REFUNDED:
            assert self.ever_succeeded
            assert self.credits == 1

    @invariant()
    def credited_exactly_when_paid(self) -> None:
        paid = self.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
        assert (self.credits == 1) is paid
        assert (self.payment.confirmed_amount is not None) is paid


PaymentNotifications.TestCase.settings = settings(
    max_examples=60, stateful_step_count=20, deadline=None
)
test_payment_notifications = PaymentNotifications.TestCase
