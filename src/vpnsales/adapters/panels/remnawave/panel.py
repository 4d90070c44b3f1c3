"""Remnawave panel adapter (CONTRACTS.md §1), dialects ``2.x`` (uuid-keyed) and ``3.x`` (id).

Every operation is idempotent: ``A029``/``A030`` (already disabled/enabled) are success,
a missing account on ``delete`` is success, ``ensure_account`` creates or patches.

Notes on the mapping:

* ``AccountSpec.devices``: unlimited → ``hwidDeviceLimit: 0`` (0 = no limit on the panel).
* ``AccountSpec.client_uuid`` → ``vlessUuid`` and ``AccountSpec.sub_id`` → ``shortUuid`` on
  create only (so a re-created account keeps its credentials/link); an existing account
  keeps its own values (``revoke`` changes them on purpose).
* The panel refuses a past ``expireAt`` on update; ``ensure_account`` then leaves the
  stored date alone (the panel already treats the account as expired or it will shortly)
  and only enforces the enabled/disabled state. ``set_expiry`` with a past date disables
  the account instead (we cannot write the date).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Self
from urllib.parse import quote

import httpx

from vpnsales.adapters.panels._http import (
    MonotonicClock,
    PanelObserver,
    RetryPolicy,
    Secret,
    Sleep,
    Timeouts,
    as_secret,
    measure,
    resilient_transport,
)
from vpnsales.application.ports.panels import (
    AccountNotFound,
    AccountRef,
    AccountSpec,
    AccountState,
    CircuitState,
    PanelAccountStatus,
    PanelAuthError,
    PanelError,
    PanelHealth,
    PanelRejected,
    PanelUnavailable,
)
from vpnsales.domain.ids import PanelId

logger = logging.getLogger(__name__)

RemnawaveDialect = Literal["2.x", "3.x"]

_ALREADY_ENABLED = "A030"
_ALREADY_DISABLED = "A029"
_USERNAME_EXISTS = "A019"


@dataclass(frozen=True, slots=True, kw_only=True)
class RemnawaveConfig:
    panel_id: PanelId
    base_url: str
    """The panel root, e.g. ``https://panel.example.com`` (``/api`` is appended)."""
    api_token: Secret = field(repr=False)
    dialect: RemnawaveDialect = "2.x"
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    circuit_failure_threshold: int = 5
    circuit_reset_timeout: float = 30.0
    forwarded_for: str = "127.0.0.1"
    """Sent as ``X-Forwarded-For`` (with ``X-Forwarded-Proto: https``) over plain http."""
    caddy_api_key: Secret | None = field(default=None, repr=False)
    default_squads: tuple[str, ...] = ()
    """Internal squads used when a spec names none."""
    page_size: int = 500

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_token", as_secret(self.api_token))
        object.__setattr__(self, "caddy_api_key", as_secret(self.caddy_api_key))
        if self.dialect not in ("2.x", "3.x"):
            raise ValueError(f"unknown Remnawave dialect {self.dialect!r}")


class RemnawaveRejected(PanelRejected):
    """A 4xx answer; ``code`` is the panel's ``errorCode`` (e.g. ``A019``) when given."""

    def __init__(self, message: str, *, panel_id: str = "", code: str | None = None) -> None:
        super().__init__(message, panel_id=panel_id)
        self.code = code


def verify_webhook_signature(secret: str | Secret, body: bytes, signature: str) -> bool:
    """Check ``X-Remnawave-Signature`` (hex HMAC-SHA256 of the raw body), constant-time."""
    key = secret.get() if isinstance(secret, Secret) else secret
    expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    candidate = signature.strip().lower()
    if not candidate.isascii():
        return False  # compare_digest refuses non-ASCII text; it is not a hex digest anyway
    return hmac.compare_digest(expected, candidate)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _status(raw: Any) -> PanelAccountStatus:
    try:
        return PanelAccountStatus(str(raw))
    except ValueError:
        return PanelAccountStatus.DISABLED


class RemnawavePanel:
    """A :class:`~vpnsales.application.ports.panels.VpnPanel` over the Remnawave API."""

    def __init__(
        self,
        config: RemnawaveConfig,
        *,
        client: httpx.AsyncClient | None = None,
        monotonic: MonotonicClock | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        observer: PanelObserver | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._client, self._owns_client, self.breaker, self._http = resilient_transport(
            panel_id=config.panel_id,
            timeouts=config.timeouts,
            retry=config.retry,
            circuit_failure_threshold=config.circuit_failure_threshold,
            circuit_reset_timeout=config.circuit_reset_timeout,
            client=client,
            monotonic=monotonic,
            sleep=sleep,
            observer=observer,
        )
        self._api = config.base_url.rstrip("/") + "/api"

    def __repr__(self) -> str:
        return f"RemnawavePanel(panel_id={self.config.panel_id!r}, dialect={self.config.dialect!r})"

    @property
    def panel_id(self) -> PanelId:
        return self.config.panel_id

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport -------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.config.api_token.get()}",
            "Accept": "application/json",
        }
        if self.config.base_url.startswith("http://"):
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-For"] = self.config.forwarded_for
        if self.config.caddy_api_key:
            headers["X-Api-Key"] = self.config.caddy_api_key.get()
        return headers

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """Send, map errors, and return the ``response`` payload."""
        response = await self._http.request(
            method, self._api + path, json=json, params=params, headers=self._headers()
        )
        status = response.status_code
        if status < 400:
            try:
                body = response.json()
            except ValueError:
                raise PanelUnavailable(
                    f"non-JSON answer to {method} {path}", panel_id=self.panel_id
                ) from None
            return body.get("response") if isinstance(body, dict) else body
        code, message = self._error_of(response)
        text = f"{method} {path}: HTTP {status} {code or ''} {message}".strip()
        if status in (401, 403):
            raise PanelAuthError(text, panel_id=self.panel_id)
        if status == 404:
            raise AccountNotFound(text, panel_id=self.panel_id)
        raise RemnawaveRejected(text, panel_id=self.panel_id, code=code)

    @staticmethod
    def _error_of(response: httpx.Response) -> tuple[str | None, str]:
        try:
            body = response.json()
        except ValueError:
            return None, ""
        if not isinstance(body, dict):
            return None, ""
        code = body.get("errorCode")
        message = str(body.get("message", ""))
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            message += ": " + "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
        return (str(code) if code else None), message[:300]

    @staticmethod
    def _code(error: PanelError) -> str | None:
        return getattr(error, "code", None)

    # -- lookups ---------------------------------------------------------------------
    @property
    def _v3(self) -> bool:
        return self.config.dialect == "3.x"

    def _key_of(self, user: Mapping[str, Any]) -> str:
        return str(user["id"]) if self._v3 else str(user["uuid"])

    def _usable_key(self, external_id: str | None) -> str | None:
        """The external id when it has this dialect's shape (numeric id in 3.x, uuid in 2.x)."""
        if not external_id:
            return None
        if self._v3:
            return external_id if external_id.isdigit() else None
        return None if external_id.isdigit() else external_id

    async def _find(self, ref: AccountRef) -> dict[str, Any] | None:
        """The user object, or ``None`` when absent. A stale external id falls back to the
        username."""
        key = self._usable_key(ref.external_id)
        if key is not None:
            try:
                user = await self._call("GET", f"/users/{quote(key, safe='')}")
            except AccountNotFound:
                user = None
            if user is not None and (user.get("username") == ref.username or not ref.username):
                return dict(user)
            if user is not None:
                logger.warning(
                    "panel %s: external id %s belongs to another account; looking up by name",
                    self.panel_id,
                    key,
                )
        if not ref.username:
            return None
        try:
            if self._v3:
                found = await self._call("POST", "/users/resolve", json={"username": ref.username})
                user = await self._call("GET", f"/users/{found['id']}")
            else:
                user = await self._call("GET", f"/users/by-username/{quote(ref.username, safe='')}")
        except AccountNotFound:
            return None
        return dict(user)

    async def _require_key(self, ref: AccountRef) -> str:
        key = self._usable_key(ref.external_id)
        if key is not None:
            return key
        user = await self._find(ref)
        if user is None:
            raise AccountNotFound(f"no account {ref.username!r}", panel_id=self.panel_id)
        return self._key_of(user)

    async def _on_user(self, ref: AccountRef, action: Callable[[str], Any]) -> Any:
        """Run ``action(key)``; when a stale external id 404s, resolve by username once."""
        key = await self._require_key(ref)
        try:
            return await action(key)
        except AccountNotFound:
            if self._usable_key(ref.external_id) is None:
                raise
            user = await self._find(AccountRef(ref.username))
            if user is None:
                raise
            return await action(self._key_of(user))

    def _state(self, user: Mapping[str, Any]) -> AccountState:
        traffic = user.get("userTraffic") or {}
        used = traffic.get("usedTrafficBytes", user.get("usedTrafficBytes", 0)) or 0
        online = traffic.get("onlineAt", user.get("onlineAt"))
        return AccountState(
            external_id=self._key_of(user),
            username=str(user["username"]),
            status=_status(user.get("status")),
            expires_at=_parse_dt(user.get("expireAt")),
            traffic_limit_bytes=int(user.get("trafficLimitBytes") or 0),
            used_traffic_bytes=int(used),
            last_online_at=_parse_dt(online),
            subscription_url=str(user.get("subscriptionUrl") or ""),
        )

    # -- VpnPanel --------------------------------------------------------------------
    def _fields(self, spec: AccountSpec) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "trafficLimitBytes": spec.traffic.bytes,
            "trafficLimitStrategy": spec.traffic.reset.value,
            "hwidDeviceLimit": spec.devices.count or 0,
            "telegramId": spec.telegram_id,
            "description": spec.description,
        }
        squads = spec.squads or self.config.default_squads
        if squads:  # none configured: leave the panel's own assignment alone
            fields["activeInternalSquads"] = list(squads)
        return fields

    async def ensure_account(
        self, spec: AccountSpec, ref: AccountRef | None = None
    ) -> AccountState:
        user = await self._find(ref or AccountRef(spec.username))
        if user is None:
            body: dict[str, Any] = {
                "username": spec.username,
                "expireAt": _iso(spec.expires_at),
                "status": "ACTIVE" if spec.enabled else "DISABLED",
                **self._fields(spec),
            }
            if spec.client_uuid is not None:
                body["vlessUuid"] = str(spec.client_uuid)
            if spec.sub_id:
                body["shortUuid"] = spec.sub_id
            try:
                created = await self._call("POST", "/users", json=body)
            except PanelRejected as exc:
                if self._code(exc) != _USERNAME_EXISTS:
                    raise
                user = await self._find(AccountRef(spec.username))
                if user is None:
                    raise
            else:
                logger.info("panel %s: created account %s", self.panel_id, spec.username)
                return self._state(created)
        return await self._update_to(user, spec)

    async def _update_to(self, user: Mapping[str, Any], spec: AccountSpec) -> AccountState:
        body: dict[str, Any] = self._fields(spec)
        body["id" if self._v3 else "uuid"] = user["id"] if self._v3 else user["uuid"]
        if spec.expires_at > self._clock() and _parse_dt(
            user.get("expireAt")
        ) != spec.expires_at.astimezone(UTC):
            body["expireAt"] = _iso(spec.expires_at)
        current = _status(user.get("status"))
        if spec.enabled and current is PanelAccountStatus.DISABLED:
            body["status"] = "ACTIVE"
        elif not spec.enabled and current is not PanelAccountStatus.DISABLED:
            body["status"] = "DISABLED"
        updated = await self._call("PATCH", "/users", json=body)
        return self._state(updated)

    async def _action(self, ref: AccountRef, action: str, json: Any = None) -> Any:
        async def run(key: str) -> Any:
            return await self._call(
                "POST", f"/users/{quote(key, safe='')}/actions/{action}", json=json
            )

        return await self._on_user(ref, run)

    async def enable(self, ref: AccountRef) -> None:
        try:
            await self._action(ref, "enable")
        except PanelRejected as exc:
            if self._code(exc) != _ALREADY_ENABLED:
                raise

    async def disable(self, ref: AccountRef) -> None:
        try:
            await self._action(ref, "disable")
        except PanelRejected as exc:
            if self._code(exc) != _ALREADY_DISABLED:
                raise

    async def set_expiry(self, ref: AccountRef, expires_at: datetime) -> None:
        if expires_at <= self._clock():
            logger.info(
                "panel %s: expiry of %s is in the past; disabling instead",
                self.panel_id,
                ref.username,
            )
            await self.disable(ref)
            return
        key_name = "id" if self._v3 else "uuid"

        async def run(key: str) -> Any:
            value: Any = int(key) if self._v3 else key
            return await self._call(
                "PATCH", "/users", json={key_name: value, "expireAt": _iso(expires_at)}
            )

        await self._on_user(ref, run)

    async def reset_traffic(self, ref: AccountRef) -> None:
        await self._action(ref, "reset-traffic")

    async def revoke(self, ref: AccountRef) -> AccountState:
        user = await self._action(ref, "revoke", json={})
        return self._state(user)

    async def delete(self, ref: AccountRef) -> None:
        async def run(key: str) -> Any:
            return await self._call("DELETE", f"/users/{quote(key, safe='')}")

        try:
            await self._on_user(ref, run)
        except AccountNotFound:
            logger.info("panel %s: %s already absent", self.panel_id, ref.username)

    async def get_state(self, ref: AccountRef) -> AccountState | None:
        user = await self._find(ref)
        return None if user is None else self._state(user)

    async def list_accounts(self) -> Sequence[AccountState]:
        size = self.config.page_size
        states: list[AccountState] = []
        if self._v3:
            cursor: str | None = None
            while True:
                params: dict[str, str | int] = {"size": size}
                if cursor:
                    params["cursor"] = cursor
                page = await self._call("GET", "/users/stream", params=params)
                states.extend(self._state(u) for u in page["users"])
                cursor = page.get("nextCursor")
                if not page.get("hasMore") or not cursor:
                    return states
        start = 0
        while True:
            page = await self._call("GET", "/users", params={"start": start, "size": size})
            users = page["users"]
            states.extend(self._state(u) for u in users)
            start += len(users)
            if not users or start >= int(page.get("total", 0)):
                return states

    async def count_accounts(self) -> int:
        """``GET /users?start=0&size=1`` → ``total`` (the list endpoint exists in both)."""
        page = await self._call("GET", "/users", params={"start": 0, "size": 1})
        return int(page.get("total", 0))

    async def health(self) -> PanelHealth:
        if self.breaker.state is CircuitState.OPEN:
            return PanelHealth(
                panel_id=self.panel_id,
                reachable=False,
                circuit=CircuitState.OPEN,
                error="circuit open",
            )
        try:
            nodes, latency = await measure(lambda: self._call("GET", "/nodes"))
            accounts = await self.count_accounts()
        except PanelError as exc:
            return PanelHealth(
                panel_id=self.panel_id,
                reachable=False,
                circuit=self.breaker.state,
                error=f"{type(exc).__name__}: {exc}",
            )
        online = sum(1 for n in nodes if n.get("isConnected") and not n.get("isDisabled"))
        return PanelHealth(
            panel_id=self.panel_id,
            reachable=True,
            circuit=self.breaker.state,
            latency_ms=latency,
            accounts=accounts,
            nodes_online=online,
            nodes_offline=len(nodes) - online,
        )

    async def extend(self, ref: AccountRef, days: int) -> AccountState:
        """3.x only: ``POST /users/{id}/actions/extend`` (2.x: PATCH the new date)."""
        if not self._v3:
            raise PanelRejected("extend needs the 3.x dialect", panel_id=self.panel_id)
        user = await self._action(ref, "extend", json={"days": days})
        return self._state(user)
