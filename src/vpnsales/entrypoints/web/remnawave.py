"""Remnawave webhook bodies → :class:`ApplyPanelEventCommand` (CONTRACTS.md §1).

``{scope, event, timestamp, data, meta}``; for ``scope == "user"`` the ``data`` is the
user object of the panel's dialect (``uuid`` in 2.x, numeric ``id`` in 3.x). Only call
this on a body whose signature has been verified.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from vpnsales.adapters.payments.webhooks import MalformedWebhook
from vpnsales.application.interactors.system.apply_panel_event import (
    ApplyPanelEventCommand,
    PanelEventKind,
)
from vpnsales.application.ports.panels import AccountState, PanelAccountStatus
from vpnsales.domain.ids import PanelId

__all__ = ["parse_remnawave_event"]

_KINDS = {kind.value: kind for kind in PanelEventKind}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return 0


def _status(value: Any) -> PanelAccountStatus:
    try:
        return PanelAccountStatus(str(value))
    except ValueError:
        return PanelAccountStatus.DISABLED


def _state(user: dict[str, Any], dialect: str) -> AccountState | None:
    key = user.get("id") if dialect == "3.x" else user.get("uuid")
    username = user.get("username")
    if key is None or isinstance(key, bool) or not isinstance(username, str) or not username:
        return None
    traffic = user.get("userTraffic")
    traffic = traffic if isinstance(traffic, dict) else {}
    return AccountState(
        external_id=str(key),
        username=username,
        status=_status(user.get("status")),
        expires_at=_when(user.get("expireAt")),
        traffic_limit_bytes=_int(user.get("trafficLimitBytes")),
        used_traffic_bytes=_int(traffic.get("usedTrafficBytes", user.get("usedTrafficBytes"))),
        last_online_at=_when(traffic.get("onlineAt", user.get("onlineAt"))),
        subscription_url=str(user.get("subscriptionUrl") or ""),
    )


def parse_remnawave_event(
    raw: bytes, *, panel_id: PanelId, dialect: str
) -> ApplyPanelEventCommand | None:
    """The command for a user event; ``None`` for events we do not track (other scopes).

    Raises :class:`MalformedWebhook` on a body that is not a Remnawave event.
    """
    try:
        body = json.loads(raw)
        # "\ud800" is valid JSON but no text: it could never be stored or shown
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise MalformedWebhook("webhook body is not JSON text") from None
    if not isinstance(body, dict):
        raise MalformedWebhook("webhook body is not a JSON object")
    event = body.get("event")
    if not isinstance(event, str) or "." not in event or len(event) > 96:
        raise MalformedWebhook("event is missing")
    scope, _, name = event.partition(".")
    if body.get("scope", scope) != "user" or scope != "user":
        return None
    user = body.get("data")
    if not isinstance(user, dict):
        raise MalformedWebhook("data (the user) is missing")
    state = _state(user, dialect)
    if state is None:
        raise MalformedWebhook("data is not a user of this panel's dialect")
    kind = _KINDS.get(name, PanelEventKind.OTHER)
    return ApplyPanelEventCommand(
        panel_id=panel_id,
        kind=kind,
        username=state.username,
        external_id=state.external_id,
        state=None if kind is PanelEventKind.DELETED else state,
    )
