"""3x-UI panel adapter (CONTRACTS.md §2), dialects ``classic``, ``3.0`` and ``3.1``.

* Auth: a cookie session (``POST {base}login``; from 3.0 on with the CSRF token from
  ``GET {base}csrf-token``, sent again on every unsafe call), or a Bearer API token
  (3.0+), which needs neither login nor CSRF. An expired session (404/401, or 403 on a
  stale CSRF token) triggers one re-login, then the call fails with ``PanelAuthError``.
* Every answer is HTTP 200 with ``{success, msg, obj}``: ``success`` is always checked.
* The account's username is the client ``email`` (unique panel-wide).
* Classic/3.0 keep each client in ONE inbound: the first of ``spec.inbounds`` (or of
  ``XuiConfig.default_inbounds``). An existing client stays in the inbound it is in.
  3.1 puts the client in all of them (``inboundIds``).
* A ``subId`` (``spec.sub_id`` or a stable hash of the username) and a client id
  (``spec.client_uuid`` or ``uuid5(username)``) are always sent on create, so a re-created
  account keeps its link; an existing client keeps its own (``revoke`` changes them).
* Traffic reset strategy: 3x-UI has none. Its client ``reset`` field is an *auto-renew*
  period (it extends the expiry!), so we always send ``reset: 0`` and periodic resets
  (DAY/WEEK/MONTH…) are the scheduler's job through :meth:`XuiPanel.reset_traffic`.
  ``totalGB`` (bytes) carries the quota; 0 = unlimited.
* Device limit → ``limitIp`` (0 = unlimited).
* "Really active" is computed from ``enable``, ``expiryTime`` and ``total`` vs used
  traffic, because the panel disables expired/over-quota clients only in its traffic
  table while the client's own ``enable`` may stay true.
* Classic/3.0 cannot delete the last client of an inbound ("no client remained in
  Inbound"): we then add a disabled placeholder client (email
  ``{placeholder_prefix}-{inbound}``) and delete again. Placeholders are never listed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import uuid
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

XuiDialect = Literal["classic", "3.0", "3.1"]

CLIENT_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e8f-9a0b-1c2d3e4f5a6b")


def client_uuid_for(username: str) -> uuid.UUID:
    """The deterministic client id of an account (used when the spec gives none)."""
    return uuid.uuid5(CLIENT_NAMESPACE, username)


def sub_id_for(username: str) -> str:
    """The deterministic ``subId`` of an account (used when the spec gives none)."""
    return hashlib.sha256(f"vpnsales-sub:{username}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class XuiConfig:
    panel_id: PanelId
    base_url: str
    """Panel URL including ``webBasePath``, e.g. ``https://host:2053/secret/``."""
    username: str
    password: Secret = field(repr=False)
    dialect: XuiDialect = "classic"
    api_token: Secret | None = field(default=None, repr=False)
    """A Bearer API token (3.0+); when set, no login and no CSRF."""
    default_inbounds: tuple[int, ...] = (1,)
    sub_base_url: str = ""
    """Subscription prefix, e.g. ``https://host:2096/sub/``; the link is ``prefix + subId``."""
    vless_flow: str = "xtls-rprx-vision"
    """``flow`` for VLESS clients (``""`` for transports without Vision)."""
    placeholder_prefix: str = "vpnsales-placeholder"
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    circuit_failure_threshold: int = 5
    circuit_reset_timeout: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "password", as_secret(self.password))
        object.__setattr__(self, "api_token", as_secret(self.api_token))
        if self.dialect not in ("classic", "3.0", "3.1"):
            raise ValueError(f"unknown 3x-UI dialect {self.dialect!r}")
        if self.api_token and self.dialect == "classic":
            raise ValueError("API tokens exist from 3x-UI 3.0 on")
        if not self.default_inbounds:
            raise ValueError("at least one default inbound is needed")


class XuiRejected(PanelRejected):
    """``success: false``; ``msg`` is the panel's message."""

    def __init__(self, message: str, *, panel_id: str = "", msg: str = "") -> None:
        super().__init__(message, panel_id=panel_id)
        self.msg = msg


@dataclass(slots=True)
class _Found:
    client: dict[str, Any]
    inbound_ids: list[int]
    protocols: dict[int, str]
    traffic: dict[str, Any] | None


def _is_not_found(msg: str) -> bool:
    return "not found" in msg.lower()


def _client_key(protocol: str) -> str:
    return {"trojan": "password", "shadowsocks": "email"}.get(protocol, "id")


class XuiPanel:
    """A :class:`~vpnsales.application.ports.panels.VpnPanel` over one 3x-UI server."""

    def __init__(
        self,
        config: XuiConfig,
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
        self._base = config.base_url.rstrip("/") + "/"
        self._login_lock = asyncio.Lock()
        self._logged_in = False
        self._session_gen = 0
        self._csrf: str | None = None
        self._protocols: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"XuiPanel(panel_id={self.config.panel_id!r}, dialect={self.config.dialect!r})"

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

    # -- session ---------------------------------------------------------------------
    @property
    def _csrf_dialect(self) -> bool:
        return self.config.dialect != "classic"

    @property
    def _bearer(self) -> bool:
        return bool(self.config.api_token)

    async def _fetch_csrf(self) -> str:
        response = await self._http.request(
            "GET", self._base + "csrf-token", headers={"Accept": "application/json"}
        )
        envelope = self._envelope_of(response, "GET csrf-token")
        if response.status_code != 200 or not envelope.get("success") or not envelope.get("obj"):
            raise PanelAuthError(
                f"no CSRF token (HTTP {response.status_code}); check dialect and webBasePath",
                panel_id=self.panel_id,
            )
        return str(envelope["obj"])

    async def _login(self) -> None:
        headers = {"Accept": "application/json"}
        self._client.cookies.clear()
        if self._csrf_dialect:
            headers["X-CSRF-Token"] = await self._fetch_csrf()
        response = await self._http.request(
            "POST",
            self._base + "login",
            data={"username": self.config.username, "password": self.config.password.get()},
            headers=headers,
        )
        if response.status_code != 200:
            raise PanelAuthError(
                f"login answered HTTP {response.status_code}; check dialect and webBasePath",
                panel_id=self.panel_id,
            )
        envelope = self._envelope_of(response, "POST login")
        if not envelope.get("success"):
            raise PanelAuthError("login refused (bad username or password)", panel_id=self.panel_id)
        self._csrf = await self._fetch_csrf() if self._csrf_dialect else None
        self._logged_in = True
        self._session_gen += 1
        logger.info("panel %s: logged in", self.panel_id)

    async def _ensure_session(self, stale_gen: int | None = None) -> None:
        async with self._login_lock:
            if self._logged_in and (stale_gen is None or stale_gen != self._session_gen):
                return
            self._logged_in = False
            await self._login()

    def _envelope_of(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code == 200:
                raise PanelUnavailable(f"{what}: not a JSON envelope", panel_id=self.panel_id)
            return {}
        return body

    async def _request(self, method: str, path: str, *, json_body: Any = None) -> Any:
        """Call ``{base}{path}`` and return ``obj``; raise :class:`XuiRejected` on failure."""
        what = f"{method} {path.split('?', 1)[0]}"
        for attempt in (0, 1):
            headers = {"Accept": "application/json"}
            if self._csrf_dialect:
                headers["X-Requested-With"] = "XMLHttpRequest"
            gen = self._session_gen
            if self._bearer:
                assert self.config.api_token is not None
                headers["Authorization"] = f"Bearer {self.config.api_token.get()}"
            else:
                await self._ensure_session()
                gen = self._session_gen
                if self._csrf and method != "GET":
                    headers["X-CSRF-Token"] = self._csrf
            response = await self._http.request(
                method, self._base + path, json=json_body, headers=headers
            )
            status = response.status_code
            if status in (401, 403, 404):
                if self._bearer:
                    raise PanelAuthError(
                        f"{what}: HTTP {status} (API token)", panel_id=self.panel_id
                    )
                if attempt == 0:
                    logger.info(
                        "panel %s: %s → HTTP %d, logging in again", self.panel_id, what, status
                    )
                    await self._ensure_session(stale_gen=gen)
                    continue
                raise PanelAuthError(
                    f"{what}: HTTP {status} after re-login", panel_id=self.panel_id
                )
            if status >= 400:
                raise PanelRejected(f"{what}: HTTP {status}", panel_id=self.panel_id)
            envelope = self._envelope_of(response, what)
            if not envelope.get("success"):
                msg = str(envelope.get("msg") or "")[:300]
                raise XuiRejected(f"{what}: {msg}", panel_id=self.panel_id, msg=msg)
            return envelope.get("obj")
        raise AssertionError("unreachable")  # pragma: no cover

    # -- inbounds and lookups --------------------------------------------------------
    @property
    def _v31(self) -> bool:
        return self.config.dialect == "3.1"

    async def _inbound(self, inbound_id: int) -> dict[str, Any]:
        obj = await self._request("GET", f"panel/api/inbounds/get/{inbound_id}")
        if not isinstance(obj, dict):
            raise PanelRejected(f"inbound {inbound_id} not found", panel_id=self.panel_id)
        self._protocols[inbound_id] = str(obj.get("protocol", ""))
        return obj

    async def _protocol(self, inbound_id: int) -> str:
        if inbound_id not in self._protocols:
            await self._inbound(inbound_id)
        return self._protocols[inbound_id]

    @staticmethod
    def _clients_of(inbound: Mapping[str, Any]) -> list[dict[str, Any]]:
        raw = inbound.get("settings") or "{}"
        settings = json.loads(raw) if isinstance(raw, str) else raw
        return list(settings.get("clients") or [])

    async def _traffic(self, email: str) -> dict[str, Any] | None:
        path = (
            f"panel/api/clients/traffic/{quote(email, safe='')}"
            if self._v31
            else f"panel/api/inbounds/getClientTraffics/{quote(email, safe='')}"
        )
        try:
            obj = await self._request("GET", path)
        except XuiRejected as exc:
            if _is_not_found(exc.msg):
                return None
            raise
        return obj if isinstance(obj, dict) else None

    async def _find(self, email: str) -> _Found | None:
        if self._v31:
            try:
                obj = await self._request("GET", f"panel/api/clients/get/{quote(email, safe='')}")
            except XuiRejected as exc:
                if _is_not_found(exc.msg):
                    return None
                raise
            if not isinstance(obj, dict):
                return None
            client = dict(obj)
            inbound_ids = [int(i) for i in client.pop("inboundIds", [])]
            protocols = {i: await self._protocol(i) for i in inbound_ids}
            return _Found(client, inbound_ids, protocols, await self._traffic(email))
        traffic = await self._traffic(email)
        if traffic is None:
            return None
        inbound_id = int(traffic["inboundId"])
        inbound = await self._inbound(inbound_id)
        for client in self._clients_of(inbound):
            if client.get("email") == email:
                return _Found(
                    dict(client), [inbound_id], {inbound_id: self._protocols[inbound_id]}, traffic
                )
        return None

    async def _require(self, ref: AccountRef) -> _Found:
        found = await self._find(ref.username)
        if found is None:
            raise AccountNotFound(f"no client {ref.username!r}", panel_id=self.panel_id)
        return found

    # -- state -----------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self._clock().timestamp() * 1000)

    def _state(self, client: Mapping[str, Any], traffic: Mapping[str, Any] | None) -> AccountState:
        expiry = int(client.get("expiryTime") or 0)
        total = int(client.get("totalGB") or 0)
        used = int((traffic or {}).get("up") or 0) + int((traffic or {}).get("down") or 0)
        if not client.get("enable", True):
            status = PanelAccountStatus.DISABLED
        elif expiry > 0 and expiry <= self._now_ms():
            status = PanelAccountStatus.EXPIRED
        elif total > 0 and used >= total:
            status = PanelAccountStatus.LIMITED
        elif traffic is not None and not traffic.get("enable", True):
            status = PanelAccountStatus.DISABLED
        else:
            status = PanelAccountStatus.ACTIVE
        last_online = int((traffic or {}).get("lastOnline") or 0)
        sub_id = str(client.get("subId") or "")
        return AccountState(
            external_id=str(client.get("id") or client.get("password") or client.get("email")),
            username=str(client["email"]),
            status=status,
            expires_at=datetime.fromtimestamp(expiry / 1000, UTC) if expiry > 0 else None,
            traffic_limit_bytes=total,
            used_traffic_bytes=used,
            last_online_at=(
                datetime.fromtimestamp(last_online / 1000, UTC) if last_online > 0 else None
            ),
            devices=None,
            subscription_url=(self.config.sub_base_url + sub_id)
            if sub_id and self.config.sub_base_url
            else "",
        )

    # -- writes ----------------------------------------------------------------------
    def _desired_fields(self, spec: AccountSpec) -> dict[str, Any]:
        return {
            "email": spec.username,
            "enable": spec.enabled,
            "expiryTime": int(spec.expires_at.timestamp() * 1000),
            "totalGB": spec.traffic.bytes,
            "limitIp": spec.devices.count or 0,
            "tgId": spec.telegram_id or 0,
            "comment": spec.description,
            "reset": 0,
        }

    def _flow(self, protocols: Mapping[int, str]) -> str:
        return self.config.vless_flow if "vless" in protocols.values() else ""

    async def _add(self, client: dict[str, Any], inbound_ids: list[int]) -> None:
        if self._v31:
            await self._request(
                "POST",
                "panel/api/clients/add",
                json_body={"client": client, "inboundIds": inbound_ids},
            )
            return
        settings = json.dumps({"clients": [client]})
        await self._request(
            "POST",
            "panel/api/inbounds/addClient",
            json_body={"id": inbound_ids[0], "settings": settings},
        )

    async def _update(self, found: _Found, client: dict[str, Any], old_email: str) -> None:
        if self._v31:
            await self._request(
                "POST",
                f"panel/api/clients/update/{quote(old_email, safe='')}",
                json_body={"client": client, "inboundIds": found.inbound_ids},
            )
            return
        inbound_id = found.inbound_ids[0]
        key = _client_key(found.protocols[inbound_id])
        client_id = str(found.client.get(key) or "")
        settings = json.dumps({"clients": [client]})
        await self._request(
            "POST",
            f"panel/api/inbounds/updateClient/{quote(client_id, safe='')}",
            json_body={"id": inbound_id, "settings": settings},
        )

    async def ensure_account(
        self, spec: AccountSpec, ref: AccountRef | None = None
    ) -> AccountState:
        email = spec.username
        found = await self._find(email)
        if found is None:
            inbound_ids = list(spec.inbounds or self.config.default_inbounds)
            if not self._v31:
                if len(inbound_ids) > 1:
                    logger.warning(
                        "panel %s: dialect %s keeps a client in one inbound; using %d",
                        self.panel_id,
                        self.config.dialect,
                        inbound_ids[0],
                    )
                inbound_ids = inbound_ids[:1]
            protocols = {i: await self._protocol(i) for i in inbound_ids}
            client_id = str(spec.client_uuid or client_uuid_for(email))
            client = {
                "id": client_id,
                "password": client_id.replace("-", ""),
                "flow": self._flow(protocols),
                "subId": spec.sub_id or sub_id_for(email),
                **self._desired_fields(spec),
            }
            try:
                await self._add(client, inbound_ids)
            except XuiRejected as exc:
                if "duplicate email" not in exc.msg.lower():
                    raise
                found = await self._find(email)
                if found is None:
                    raise
            else:
                logger.info("panel %s: created client %s", self.panel_id, email)
                return self._state(client, await self._traffic(email))
        client = {**found.client, **self._desired_fields(spec)}
        if spec.client_uuid is not None:
            client["id"] = str(spec.client_uuid)
            client["password"] = client["id"].replace("-", "")
        if spec.sub_id:
            client["subId"] = spec.sub_id
        if not client.get("subId"):
            client["subId"] = sub_id_for(email)
        if client != found.client:
            await self._update(found, client, email)
        return self._state(client, await self._traffic(email))

    async def _set(self, ref: AccountRef, **fields: Any) -> tuple[_Found, dict[str, Any]]:
        found = await self._require(ref)
        client = {**found.client, **fields}
        if client != found.client:
            await self._update(found, client, ref.username)
        return found, client

    async def enable(self, ref: AccountRef) -> None:
        await self._set(ref, enable=True)

    async def disable(self, ref: AccountRef) -> None:
        await self._set(ref, enable=False)

    async def set_expiry(self, ref: AccountRef, expires_at: datetime) -> None:
        await self._set(ref, expiryTime=int(expires_at.timestamp() * 1000))

    async def reset_traffic(self, ref: AccountRef) -> None:
        email = quote(ref.username, safe="")
        if self._v31:
            await self._request("POST", f"panel/api/clients/resetTraffic/{email}")
            return
        found = await self._require(ref)
        await self._request(
            "POST", f"panel/api/inbounds/{found.inbound_ids[0]}/resetClientTraffic/{email}"
        )

    async def revoke(self, ref: AccountRef) -> AccountState:
        new_id = str(uuid.uuid4())
        _, client = await self._set(
            ref, id=new_id, password=new_id.replace("-", ""), subId=secrets.token_hex(8)
        )
        return self._state(client, await self._traffic(ref.username))

    async def delete(self, ref: AccountRef) -> None:
        if self._v31:
            try:
                await self._request("POST", f"panel/api/clients/del/{quote(ref.username, safe='')}")
            except XuiRejected as exc:
                if not _is_not_found(exc.msg):
                    raise
            return
        found = await self._find(ref.username)
        if found is None:
            return
        inbound_id = found.inbound_ids[0]
        client_id = str(found.client.get(_client_key(found.protocols[inbound_id])) or "")
        path = f"panel/api/inbounds/{inbound_id}/delClient/{quote(client_id, safe='')}"
        try:
            await self._request("POST", path)
        except XuiRejected as exc:
            if _is_not_found(exc.msg):
                return
            if "no client remained" not in exc.msg.lower():
                raise
            await self._add_placeholder(inbound_id, found.protocols[inbound_id])
            await self._request("POST", path)

    async def _add_placeholder(self, inbound_id: int, protocol: str) -> None:
        email = f"{self.config.placeholder_prefix}-{inbound_id}"
        client_id = str(client_uuid_for(email))
        logger.info("panel %s: adding placeholder client to inbound %d", self.panel_id, inbound_id)
        client = {
            "id": client_id,
            "password": client_id.replace("-", ""),
            "email": email,
            "enable": False,
            "expiryTime": 0,
            "totalGB": 0,
            "limitIp": 0,
            "subId": "",
            "tgId": 0,
            "comment": "keeps the inbound non-empty (3x-UI refuses to delete its last client)",
            "reset": 0,
            "flow": "",
        }
        try:
            await self._add(client, [inbound_id])
        except XuiRejected as exc:
            if "duplicate email" not in exc.msg.lower():
                raise

    async def get_state(self, ref: AccountRef) -> AccountState | None:
        found = await self._find(ref.username)
        return None if found is None else self._state(found.client, found.traffic)

    async def list_accounts(self) -> Sequence[AccountState]:
        inbounds = await self._request("GET", "panel/api/inbounds/list") or []
        seen: dict[str, AccountState] = {}
        prefix = self.config.placeholder_prefix
        for inbound in inbounds:
            self._protocols[int(inbound["id"])] = str(inbound.get("protocol", ""))
            stats = {s["email"]: s for s in inbound.get("clientStats") or [] if "email" in s}
            for client in self._clients_of(inbound):
                email = str(client.get("email") or "")
                if not email or email.startswith(prefix) or email in seen:
                    continue
                seen[email] = self._state(client, stats.get(email))
        return list(seen.values())

    async def count_accounts(self) -> int:
        return len(await self.list_accounts())

    async def health(self) -> PanelHealth:
        if self.breaker.state is CircuitState.OPEN:
            return PanelHealth(
                panel_id=self.panel_id,
                reachable=False,
                circuit=CircuitState.OPEN,
                error="circuit open",
            )
        try:
            accounts, latency = await measure(self.list_accounts)
        except PanelError as exc:
            return PanelHealth(
                panel_id=self.panel_id,
                reachable=False,
                circuit=self.breaker.state,
                error=f"{type(exc).__name__}: {exc}",
            )
        return PanelHealth(
            panel_id=self.panel_id,
            reachable=True,
            circuit=self.breaker.state,
            latency_ms=latency,
            accounts=len(accounts),
        )
