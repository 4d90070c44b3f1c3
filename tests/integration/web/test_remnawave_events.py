"""Remnawave webhook bodies → ApplyPanelEvent commands, both dialects (pure)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnsales.adapters.payments.webhooks import MalformedWebhook
from vpnsales.application.interactors.system.apply_panel_event import PanelEventKind
from vpnsales.application.ports.panels import PanelAccountStatus
from vpnsales.domain.ids import PanelId
from vpnsales.entrypoints.web.remnawave import parse_remnawave_event

PANEL = PanelId("panel-1")
USER = {
    "uuid": "5f1c2a34-0000-4000-8000-000000000001",
    "id": 17,
    "username": "vpn_abc",
    "status": "LIMITED",
    "expireAt": "2026-12-01T10:00:00.000Z",
    "trafficLimitBytes": 1000,
    "userTraffic": {"usedTrafficBytes": 1000, "onlineAt": "2026-11-22T09:00:00.000Z"},
    "subscriptionUrl": "https://sub.example.test/abc",
}


def _body(event: str, data: object = USER) -> bytes:
    scope = event.split(".", 1)[0]
    return json.dumps({"scope": scope, "event": event, "timestamp": "x", "data": data}).encode()


@pytest.mark.parametrize(("dialect", "key"), [("2.x", USER["uuid"]), ("3.x", "17")])
def test_user_events_carry_the_account_state_of_the_dialect(dialect, key):
    command = parse_remnawave_event(_body("user.limited"), panel_id=PANEL, dialect=dialect)

    assert command is not None
    assert command.kind is PanelEventKind.LIMITED
    assert (command.username, command.external_id) == ("vpn_abc", key)
    assert command.state is not None
    assert command.state.status is PanelAccountStatus.LIMITED
    assert command.state.used_traffic_bytes == 1000
    assert command.state.expires_at is not None


def test_deleted_and_untracked_events():
    deleted = parse_remnawave_event(_body("user.deleted"), panel_id=PANEL, dialect="2.x")
    other = parse_remnawave_event(_body("user.first_connected"), panel_id=PANEL, dialect="2.x")
    node = parse_remnawave_event(_body("node.connection_lost", {}), panel_id=PANEL, dialect="2.x")

    assert deleted is not None
    assert (deleted.kind, deleted.state) == (PanelEventKind.DELETED, None)
    assert other is not None
    assert other.kind is PanelEventKind.OTHER
    assert node is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[]",
        b'{"event": 5}',
        b'{"event": "user.disabled"}',
        b'{"event": "user.disabled", "data": {"username": "x"}}',
        _body("user.disabled", {"uuid": "u"}),
    ],
)
def test_malformed_events(raw):
    with pytest.raises(MalformedWebhook):
        parse_remnawave_event(raw, panel_id=PANEL, dialect="2.x")


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_the_parser_raises_nothing_but_malformed(raw):
    with contextlib.suppress(MalformedWebhook):
        parse_remnawave_event(raw, panel_id=PANEL, dialect="3.x")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    data=st.fixed_dictionaries(
        dict.fromkeys(USER, json_values),
    ),
    event=st.sampled_from(["user.created", "user.disabled", "user.deleted", "user.x"]),
)
def test_near_valid_users_raise_nothing_but_malformed(data, event):
    for dialect in ("2.x", "3.x"):
        with contextlib.suppress(MalformedWebhook):
            parse_remnawave_event(_body(event, data), panel_id=PANEL, dialect=dialect)
