"""Access: desired vs observed state, versioned sync, drift detection."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import NOW, PROPERTY, an_access

from vpnsales.domain.access import (
    MAX_ERROR_LENGTH,
    AccessPhase,
    DesiredState,
    Observed,
    ObservedStatus,
    SyncStatus,
    access_username,
)
from vpnsales.domain.errors import AccessStateError, InvalidValue
from vpnsales.domain.ids import AccessId

PANEL_USERNAME = re.compile(r"^[a-zA-Z0-9_-]{3,36}$")


def observed(status: ObservedStatus = ObservedStatus.ACTIVE) -> Observed:
    return Observed(status=status, at=NOW)


def synced_access(state: DesiredState = DesiredState.ENABLED):  # type: ignore[no-untyped-def]
    access = an_access()
    access.desire(state)
    access.mark_synced(
        version=access.version,
        external_id="ext-1",
        subscription_url="https://sub.example/abc",
        observed=observed(),
    )
    return access


def test_new_access_is_provisioning_and_pending() -> None:
    access = an_access()
    assert access.phase is AccessPhase.PROVISIONING
    assert access.desired is DesiredState.ENABLED
    assert access.sync is SyncStatus.PENDING
    assert access.version == 0
    assert not access.is_provisioned
    assert not access.is_ready


def test_new_access_refuses_naive_time() -> None:
    with pytest.raises(InvalidValue):
        an_access(now=datetime(2026, 1, 1))


def test_accesses_compare_and_hash_by_id() -> None:
    access = an_access()
    assert access == access
    assert hash(access) == hash(access.id)
    assert access != an_access()
    assert access != "access"


def test_username_is_derived_from_the_id() -> None:
    access = an_access()
    assert access.username == access_username(access.id)


@PROPERTY
@given(st.uuids())
def test_username_fits_every_panels_format(raw: object) -> None:
    assert PANEL_USERNAME.match(access_username(AccessId(raw)))  # type: ignore[arg-type]


def test_username_is_stable_and_distinct() -> None:
    one, other = AccessId(uuid4()), AccessId(uuid4())
    assert access_username(one) == access_username(one)
    assert access_username(one) != access_username(other)


# -- desire ------------------------------------------------------------------------------


def test_desire_a_new_state_bumps_the_version_and_needs_sync() -> None:
    access = synced_access()
    assert access.desire(DesiredState.DISABLED) is True
    assert access.desired is DesiredState.DISABLED
    assert access.version == 1
    assert access.sync is SyncStatus.PENDING


def test_desire_the_same_state_changes_nothing() -> None:
    access = synced_access()
    assert access.desire(DesiredState.ENABLED) is False
    assert access.version == 0
    assert access.sync is SyncStatus.IN_SYNC


def test_desire_clears_failure_bookkeeping() -> None:
    access = an_access()
    access.mark_failed("panel down")
    access.desire(DesiredState.DISABLED)
    assert access.attempts == 0
    assert access.last_error is None


@pytest.mark.parametrize("state", [DesiredState.ENABLED, DesiredState.DISABLED])
def test_deleted_access_cannot_come_back(state: DesiredState) -> None:
    access = an_access()
    access.desire(DesiredState.DELETED)
    with pytest.raises(AccessStateError):
        access.desire(state)


def test_deleting_twice_is_a_no_op() -> None:
    access = an_access()
    access.desire(DesiredState.DELETED)
    assert access.desire(DesiredState.DELETED) is False


def test_request_sync_bumps_version_without_changing_desire() -> None:
    access = synced_access()
    access.request_sync()
    assert access.version == 1
    assert access.sync is SyncStatus.PENDING
    assert access.desired is DesiredState.ENABLED


# -- mark_synced -------------------------------------------------------------------------


def test_mark_synced_current_version_converges() -> None:
    access = an_access()
    assert access.mark_synced(
        version=0, external_id="ext-1", subscription_url="https://s/1", observed=observed()
    )
    assert access.phase is AccessPhase.ENABLED
    assert access.sync is SyncStatus.IN_SYNC
    assert access.external_id == "ext-1"
    assert access.is_provisioned
    assert access.is_ready


@pytest.mark.parametrize(
    ("state", "phase"),
    [(DesiredState.DISABLED, AccessPhase.DISABLED), (DesiredState.DELETED, AccessPhase.DELETED)],
)
def test_mark_synced_sets_phase_from_desired(state: DesiredState, phase: AccessPhase) -> None:
    access = synced_access(state)
    assert access.phase is phase
    assert not access.is_ready


def test_mark_synced_with_a_stale_version_only_records_the_observation() -> None:
    access = an_access()
    stale = access.version
    access.desire(DesiredState.DISABLED)
    report = observed(ObservedStatus.ACTIVE)
    assert not access.mark_synced(
        version=stale, external_id="ext-1", subscription_url=None, observed=report
    )
    assert access.sync is SyncStatus.PENDING
    assert access.phase is AccessPhase.PROVISIONING
    assert access.observed == report
    assert access.external_id == "ext-1"


def test_mark_synced_keeps_a_known_link_when_none_reported() -> None:
    access = synced_access()
    access.request_sync()
    access.mark_synced(
        version=access.version, external_id=None, subscription_url=None, observed=observed()
    )
    assert access.subscription_url == "https://sub.example/abc"
    assert access.external_id == "ext-1"


def test_mark_synced_resets_failures() -> None:
    access = an_access()
    access.mark_failed("boom")
    access.mark_synced(version=0, external_id="e", subscription_url="u", observed=observed())
    assert access.attempts == 0
    assert access.last_error is None


def test_enabled_access_without_link_is_not_ready() -> None:
    access = an_access()
    access.mark_synced(version=0, external_id="e", subscription_url=None, observed=observed())
    assert access.phase is AccessPhase.ENABLED
    assert not access.is_ready


# -- mark_failed -------------------------------------------------------------------------


def test_mark_failed_counts_attempts_and_keeps_the_error() -> None:
    access = an_access()
    access.mark_failed("timeout")
    access.mark_failed("503")
    assert access.sync is SyncStatus.FAILING
    assert access.attempts == 2
    assert access.last_error == "503"


def test_mark_failed_truncates_long_errors() -> None:
    access = an_access()
    access.mark_failed("x" * (MAX_ERROR_LENGTH * 3))
    assert access.last_error == "x" * MAX_ERROR_LENGTH


# -- observe -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "status", "drift"),
    [
        (DesiredState.ENABLED, ObservedStatus.ACTIVE, False),
        (DesiredState.ENABLED, ObservedStatus.LIMITED, False),
        (DesiredState.ENABLED, ObservedStatus.DISABLED, True),
        (DesiredState.ENABLED, ObservedStatus.EXPIRED, True),
        (DesiredState.ENABLED, ObservedStatus.ABSENT, True),
        (DesiredState.DISABLED, ObservedStatus.DISABLED, False),
        (DesiredState.DISABLED, ObservedStatus.EXPIRED, False),
        (DesiredState.DISABLED, ObservedStatus.LIMITED, False),
        (DesiredState.DISABLED, ObservedStatus.ACTIVE, True),
        (DesiredState.DISABLED, ObservedStatus.ABSENT, True),
        (DesiredState.DELETED, ObservedStatus.ABSENT, False),
        (DesiredState.DELETED, ObservedStatus.DISABLED, True),
    ],
)
def test_observe_detects_drift(desired: DesiredState, status: ObservedStatus, drift: bool) -> None:
    access = synced_access(desired)
    assert access.observe(observed(status)) is drift
    assert access.observed == observed(status)


def test_drift_on_an_in_sync_access_schedules_a_new_sync() -> None:
    access = synced_access()
    access.observe(observed(ObservedStatus.DISABLED))
    assert access.sync is SyncStatus.PENDING
    assert access.version == 1


def test_drift_while_already_pending_does_not_bump_again() -> None:
    access = an_access()
    access.observe(observed(ObservedStatus.ABSENT))
    assert access.version == 0
    assert access.sync is SyncStatus.PENDING


def test_observation_matching_desire_keeps_in_sync() -> None:
    access = synced_access()
    access.observe(observed(ObservedStatus.ACTIVE))
    assert access.sync is SyncStatus.IN_SYNC
    assert access.version == 0
