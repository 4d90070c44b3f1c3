"""An in-process 3x-UI panel (CONTRACTS.md §2), dialects ``classic``, ``3.0`` and ``3.1``.

* Routes live under :attr:`XuiEmulator.web_base_path` (default ``/``).
* Login always answers HTTP 200 ``{success, msg, obj}`` and sets the ``3x-ui`` cookie.
  From 3.0 on a CSRF token (``GET {base}csrf-token``) is required on login and on every
  unsafe cookie-session API call (403 without); Bearer API tokens skip it.
* Unauthenticated API calls get 404 with an empty body (401 from 3.0 on when the request
  carries ``X-Requested-With: XMLHttpRequest``).
* Every API answer is HTTP 200 with the envelope, even on failure.
* The subscription listener is served on the same port at :attr:`sub_path` (``/sub/``).

Clients are stored once (emails are unique panel-wide) with the inbounds they belong to;
classic and 3.0 put a client in exactly one inbound, 3.1 allows several.
The panel's own rule is emulated: a client's traffic row gets ``enable: false`` when it is
expired or over quota, while the client's own ``enable`` stays ``true``.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web

from vpnsales.testing.emulators.base import EmulatorServer

Dialect = Literal["classic", "3.0", "3.1"]
COOKIE = "3x-ui"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class EmulatedInbound:
    id: int
    protocol: str
    port: int
    remark: str
    tag: str = ""
    enable: bool = True
    stream_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EmulatedClient:
    fields: dict[str, Any]
    """The client object as the panel stores it (``id``/``password``, ``email``, …)."""
    inbound_ids: list[int]


@dataclass(slots=True)
class TrafficRow:
    id: int
    inbound_id: int
    email: str
    enable: bool = True
    up: int = 0
    down: int = 0
    expiry_time: int = 0
    total: int = 0
    reset: int = 0
    last_online: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "inboundId": self.inbound_id,
            "enable": self.enable,
            "email": self.email,
            "up": self.up,
            "down": self.down,
            "expiryTime": self.expiry_time,
            "total": self.total,
            "reset": self.reset,
            "lastOnline": self.last_online,
        }


@dataclass(slots=True)
class _Session:
    csrf: str
    authenticated: bool = False


class _Fail(Exception):
    """A failure answered with HTTP 200 and ``success: false``."""


def default_inbounds() -> list[EmulatedInbound]:
    return [
        EmulatedInbound(
            1,
            "vless",
            443,
            "reality",
            tag="inbound-443",
            stream_settings={"network": "tcp", "security": "reality"},
        ),
        EmulatedInbound(
            2,
            "trojan",
            8443,
            "trojan",
            tag="inbound-8443",
            stream_settings={"network": "tcp", "security": "tls"},
        ),
    ]


def _client_key(protocol: str) -> str:
    return {"trojan": "password", "shadowsocks": "email"}.get(protocol, "id")


@dataclass
class XuiEmulator(EmulatorServer):
    dialect: Dialect = "classic"
    web_base_path: str = "/"
    username: str = "admin"
    password: str = field(default="admin", repr=False)
    api_tokens: tuple[str, ...] = field(default=(), repr=False)
    """Bearer API tokens accepted from 3.0 on."""
    sub_path: str = "/sub/"
    inbounds: dict[int, EmulatedInbound] = field(
        default_factory=lambda: {i.id: i for i in default_inbounds()}
    )
    _clients: dict[str, EmulatedClient] = field(default_factory=dict, init=False, repr=False)
    _traffic: dict[str, TrafficRow] = field(default_factory=dict, init=False, repr=False)
    _sessions: dict[str, _Session] = field(default_factory=dict, init=False, repr=False)
    _online: set[str] = field(default_factory=set, init=False, repr=False)
    _next_row: int = field(default=1, init=False, repr=False)

    def __post_init__(self) -> None:
        base = "/" + self.web_base_path.strip("/")
        self.web_base_path = base if base == "/" else base + "/"

    # -- test hooks ------------------------------------------------------------------
    @property
    def base(self) -> str:
        """The panel URL including the web base path (ends with ``/``)."""
        return self.base_url + self.web_base_path

    @property
    def sub_base(self) -> str:
        return self.base_url + self.sub_path

    @property
    def clients(self) -> Mapping[str, dict[str, Any]]:
        return MappingProxyType({e: dict(c.fields) for e, c in self._clients.items()})

    def get_client(self, email: str) -> dict[str, Any] | None:
        client = self._clients.get(email)
        return None if client is None else dict(client.fields)

    def client_inbounds(self, email: str) -> list[int]:
        return list(self._clients[email].inbound_ids)

    def traffic(self, email: str) -> TrafficRow | None:
        row = self._traffic.get(email)
        if row is not None:
            self._refresh(row)
        return row

    def add_traffic(self, email: str, up: int, down: int = 0) -> None:
        row = self._traffic[email]
        row.up += up
        row.down += down
        row.last_online = int(self.clock().timestamp() * 1000)
        self._refresh(row)

    def delete_behind_our_back(self, email: str) -> None:
        del self._clients[email]
        self._traffic.pop(email, None)

    def edit_behind_our_back(self, email: str, **fields: Any) -> None:
        """Change the stored client object (panel field names, e.g. ``enable=False``)."""
        client = self._clients[email]
        client.fields.update(fields)
        self._sync_row(client)

    def set_online(self, *emails: str) -> None:
        self._online = set(emails)

    def expire_sessions(self) -> None:
        self._sessions.clear()

    def add_client_directly(self, inbound_id: int, **fields: Any) -> None:
        """Seed a client without HTTP (e.g. a placeholder or foreign client)."""
        client = EmulatedClient(dict(fields), [inbound_id])
        self._clients[fields["email"]] = client
        self._sync_row(client)

    # -- internals -------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def _refresh(self, row: TrafficRow) -> None:
        """The panel's own job: disable expired or over-quota clients in the traffic table."""
        if not row.enable:
            return
        expired = row.expiry_time > 0 and row.expiry_time <= self._now_ms()
        over = row.total > 0 and row.up + row.down >= row.total
        if expired or over:
            row.enable = False

    def _sync_row(self, client: EmulatedClient) -> None:
        f = client.fields
        email = f["email"]
        row = self._traffic.get(email)
        if row is None:
            row = TrafficRow(self._next_row, client.inbound_ids[0], email)
            self._next_row += 1
            self._traffic[email] = row
        row.inbound_id = client.inbound_ids[0]
        row.enable = bool(f.get("enable", True))
        row.expiry_time = int(f.get("expiryTime") or 0)
        row.total = int(f.get("totalGB") or 0)
        row.reset = int(f.get("reset") or 0)
        self._refresh(row)

    def _inbound_json(self, inbound: EmulatedInbound) -> dict[str, Any]:
        clients = [dict(c.fields) for c in self._clients.values() if inbound.id in c.inbound_ids]
        stats = []
        for c in clients:
            row = self._traffic.get(c["email"])
            if row is not None:
                self._refresh(row)
                stats.append(row.to_json())
        settings: dict[str, Any] = {"clients": clients, "decryption": "none", "fallbacks": []}
        return {
            "id": inbound.id,
            "up": sum(s["up"] for s in stats),
            "down": sum(s["down"] for s in stats),
            "total": 0,
            "remark": inbound.remark,
            "enable": inbound.enable,
            "expiryTime": 0,
            "clientStats": stats,
            "listen": "",
            "port": inbound.port,
            "protocol": inbound.protocol,
            "settings": json.dumps(settings),
            "streamSettings": json.dumps(inbound.stream_settings),
            "tag": inbound.tag,
            "sniffing": json.dumps({"enabled": False}),
        }

    def _inbound(self, raw: Any) -> EmulatedInbound:
        try:
            inbound_id = int(raw)
        except (TypeError, ValueError):
            raise _Fail("invalid inbound id") from None
        inbound = self.inbounds.get(inbound_id)
        if inbound is None:
            raise _Fail("record not found")
        return inbound

    def _validate_client(self, inbound: EmulatedInbound, client: Any) -> dict[str, Any]:
        if not isinstance(client, dict):
            raise _Fail("invalid client")
        email = client.get("email")
        if not isinstance(email, str) or not email.strip():
            raise _Fail("empty client email")
        key = _client_key(inbound.protocol)
        if not client.get(key):
            raise _Fail("empty client ID")
        for name in ("expiryTime", "totalGB", "limitIp", "reset"):
            value = client.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Fail(f"invalid {name}: must be an integer")
        fields = {
            "enable": True,
            "expiryTime": 0,
            "totalGB": 0,
            "limitIp": 0,
            "subId": "",
            "tgId": 0,
            "comment": "",
            "reset": 0,
            "flow": "",
        }
        fields.update(client)
        return fields

    @staticmethod
    def _envelope(obj: Any = None, msg: str = "", success: bool = True) -> web.Response:
        return web.json_response({"success": success, "msg": msg, "obj": obj})

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        if request.content_type == "application/json":
            try:
                data = await request.json()
            except ValueError:
                raise _Fail("invalid JSON") from None
            if not isinstance(data, dict):
                raise _Fail("invalid body")
            return data
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _session(self, request: web.Request) -> _Session | None:
        cookie = request.cookies.get(COOKIE)
        return self._sessions.get(cookie) if cookie else None

    @property
    def _csrf_enabled(self) -> bool:
        return self.dialect != "classic"

    def _unauthenticated(self, request: web.Request) -> web.Response:
        if self._csrf_enabled and request.headers.get("X-Requested-With") == "XMLHttpRequest":
            return web.Response(status=401)
        return web.Response(status=404)

    def _api(self, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            auth = request.headers.get("Authorization", "")
            bearer = auth[7:] if auth.startswith("Bearer ") else None
            if bearer is not None and self._csrf_enabled:
                if not any(hmac.compare_digest(bearer, t) for t in self.api_tokens):
                    return self._unauthenticated(request)
            else:
                session = self._session(request)
                if session is None or not session.authenticated:
                    return self._unauthenticated(request)
                if self._csrf_enabled and request.method in UNSAFE:
                    token = request.headers.get("X-CSRF-Token", "")
                    if not hmac.compare_digest(token, session.csrf):
                        return web.json_response(
                            {"success": False, "msg": "invalid CSRF token", "obj": None},
                            status=403,
                        )
            try:
                obj = await handler(request)
            except _Fail as exc:
                return self._envelope(None, str(exc), success=False)
            return self._envelope(obj)

        return wrapped

    # -- routes ----------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        b = self.web_base_path
        r = app.router
        r.add_post(f"{b}login", self._login)
        r.add_post(f"{b}logout", self._logout)
        r.add_get(f"{b}logout", self._logout)
        if self._csrf_enabled:
            r.add_get(f"{b}csrf-token", self._csrf_token)
        ib = f"{b}panel/api/inbounds"
        r.add_get(f"{ib}/list", self._api(self._list))
        r.add_get(f"{ib}/get/{{id}}", self._api(self._get_inbound))
        r.add_post(f"{ib}/onlines", self._api(self._onlines))
        if self.dialect in ("classic", "3.0"):
            r.add_post(f"{ib}/addClient", self._api(self._add_client))
            r.add_post(f"{ib}/updateClient/{{client_id}}", self._api(self._update_client))
            r.add_post(f"{ib}/{{id}}/delClient/{{client_id}}", self._api(self._del_client))
            r.add_get(f"{ib}/getClientTraffics/{{email}}", self._api(self._traffic_by_email))
            r.add_get(f"{ib}/getClientTrafficsById/{{client_id}}", self._api(self._traffic_by_id))
            r.add_post(f"{ib}/{{id}}/resetClientTraffic/{{email}}", self._api(self._reset_in))
        else:
            cb = f"{b}panel/api/clients"
            r.add_post(f"{cb}/add", self._api(self._c_add))
            r.add_post(f"{cb}/update/{{email}}", self._api(self._c_update))
            r.add_post(f"{cb}/del/{{email}}", self._api(self._c_del))
            r.add_get(f"{cb}/get/tgId/{{tg}}", self._api(self._c_by_tg))
            r.add_get(f"{cb}/get/{{email}}", self._api(self._c_get))
            r.add_get(f"{cb}/traffic/{{email}}", self._api(self._traffic_by_email))
            r.add_post(f"{cb}/resetTraffic/{{email}}", self._api(self._c_reset))
            r.add_get(f"{cb}/subLinks/{{sub_id}}", self._api(self._c_sub_links))
        r.add_get(f"{self.sub_path}{{sub_id}}", self._subscription)

    async def _csrf_token(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        cookie = request.cookies.get(COOKIE)
        if session is None or cookie is None:
            cookie = secrets.token_urlsafe(24)
            session = _Session(csrf=secrets.token_urlsafe(24))
            self._sessions[cookie] = session
        response = self._envelope(session.csrf)
        response.set_cookie(COOKIE, cookie, path="/", httponly=True)
        return response

    async def _login(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if self._csrf_enabled:
            token = request.headers.get("X-CSRF-Token", "")
            if session is None or not hmac.compare_digest(token, session.csrf):
                return web.json_response(
                    {"success": False, "msg": "invalid CSRF token", "obj": None}, status=403
                )
        try:
            body = await self._body(request)
        except _Fail as exc:
            return self._envelope(None, str(exc), success=False)
        user_ok = hmac.compare_digest(str(body.get("username", "")), self.username)
        pass_ok = hmac.compare_digest(str(body.get("password", "")), self.password)
        if not (user_ok and pass_ok):
            return self._envelope(None, "Wrong username or password.", success=False)
        old_cookie = request.cookies.get(COOKIE)
        if old_cookie:
            self._sessions.pop(old_cookie, None)
        cookie = secrets.token_urlsafe(24)
        csrf = session.csrf if session is not None else secrets.token_urlsafe(24)
        self._sessions[cookie] = _Session(csrf=csrf, authenticated=True)
        response = self._envelope(None, "Login Successfully")
        response.set_cookie(COOKIE, cookie, path="/", httponly=True, max_age=3600)
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            self._sessions.pop(cookie, None)
        raise web.HTTPFound(self.web_base_path)

    async def _list(self, request: web.Request) -> Any:
        return [self._inbound_json(i) for i in self.inbounds.values()]

    async def _get_inbound(self, request: web.Request) -> Any:
        return self._inbound_json(self._inbound(request.match_info["id"]))

    async def _onlines(self, request: web.Request) -> Any:
        return sorted(self._online)

    def _parse_settings(self, body: Mapping[str, Any]) -> list[Any]:
        raw = body.get("settings")
        if not isinstance(raw, str):
            raise _Fail("settings must be a JSON string")
        try:
            settings = json.loads(raw)
        except ValueError:
            raise _Fail("invalid settings JSON") from None
        clients = settings.get("clients") if isinstance(settings, dict) else None
        if not isinstance(clients, list) or not clients:
            raise _Fail("no clients in settings")
        return clients

    def _check_duplicate(self, email: str, except_email: str | None = None) -> None:
        if email != except_email and email in self._clients:
            raise _Fail(f"Duplicate email: {email}")

    async def _add_client(self, request: web.Request) -> Any:
        body = await self._body(request)
        inbound = self._inbound(body.get("id"))
        validated = [self._validate_client(inbound, c) for c in self._parse_settings(body)]
        emails = [c["email"] for c in validated]
        if len(set(emails)) != len(emails):
            raise _Fail(f"Duplicate email: {emails[0]}")
        for email in emails:
            self._check_duplicate(email)
        for fields in validated:
            client = EmulatedClient(fields, [inbound.id])
            self._clients[fields["email"]] = client
            self._sync_row(client)
        return None

    def _find_by_client_id(self, inbound: EmulatedInbound, client_id: str) -> EmulatedClient:
        key = _client_key(inbound.protocol)
        for client in self._clients.values():
            if inbound.id in client.inbound_ids and str(client.fields.get(key)) == client_id:
                return client
        raise _Fail("Client Not Found")

    async def _update_client(self, request: web.Request) -> Any:
        body = await self._body(request)
        inbound = self._inbound(body.get("id"))
        current = self._find_by_client_id(inbound, request.match_info["client_id"])
        new = self._validate_client(inbound, self._parse_settings(body)[0])
        old_email = current.fields["email"]
        self._check_duplicate(new["email"], except_email=old_email)
        del self._clients[old_email]
        row = self._traffic.pop(old_email, None)
        if row is not None:
            row.email = new["email"]
            self._traffic[new["email"]] = row
        current.fields = new
        self._clients[new["email"]] = current
        self._sync_row(current)
        return None

    async def _del_client(self, request: web.Request) -> Any:
        inbound = self._inbound(request.match_info["id"])
        client = self._find_by_client_id(inbound, request.match_info["client_id"])
        remaining = [c for c in self._clients.values() if inbound.id in c.inbound_ids]
        if len(remaining) <= 1:
            raise _Fail("no client remained in Inbound")
        del self._clients[client.fields["email"]]
        self._traffic.pop(client.fields["email"], None)
        return None

    async def _traffic_by_email(self, request: web.Request) -> Any:
        row = self.traffic(request.match_info["email"])
        return None if row is None else row.to_json()

    async def _traffic_by_id(self, request: web.Request) -> Any:
        client_id = request.match_info["client_id"]
        rows = []
        for client in self._clients.values():
            if client_id in (client.fields.get("id"), client.fields.get("password")):
                row = self.traffic(client.fields["email"])
                if row is not None:
                    rows.append(row.to_json())
        return rows

    def _reset(self, email: str) -> None:
        row = self._traffic.get(email)
        client = self._clients.get(email)
        if row is None or client is None:
            raise _Fail("Client Not Found")
        row.up = row.down = 0
        row.enable = bool(client.fields.get("enable", True))
        self._refresh(row)

    async def _reset_in(self, request: web.Request) -> Any:
        inbound = self._inbound(request.match_info["id"])
        email = request.match_info["email"]
        client = self._clients.get(email)
        if client is None or inbound.id not in client.inbound_ids:
            raise _Fail("Client Not Found")
        self._reset(email)
        return None

    # -- 3.1 clients API -------------------------------------------------------------
    def _client_json(self, client: EmulatedClient) -> dict[str, Any]:
        return {**client.fields, "inboundIds": list(client.inbound_ids)}

    def _inbounds_for(self, raw: Any) -> list[EmulatedInbound]:
        if not isinstance(raw, list) or not raw:
            raise _Fail("inboundIds must be a non-empty list")
        return [self._inbound(i) for i in raw]

    async def _c_add(self, request: web.Request) -> Any:
        body = await self._body(request)
        inbounds = self._inbounds_for(body.get("inboundIds"))
        fields = body.get("client")
        checked = [self._validate_client(i, fields) for i in inbounds]
        validated = checked[0]
        self._check_duplicate(validated["email"])
        client = EmulatedClient(validated, [i.id for i in inbounds])
        self._clients[validated["email"]] = client
        self._sync_row(client)
        return self._client_json(client)

    def _c_require(self, email: str) -> EmulatedClient:
        client = self._clients.get(email)
        if client is None:
            raise _Fail(f"client not found: {email}")
        return client

    async def _c_update(self, request: web.Request) -> Any:
        body = await self._body(request)
        email = request.match_info["email"]
        current = self._c_require(email)
        fields = body.get("client", body)
        inbound_ids = body.get("inboundIds")
        inbounds = (
            self._inbounds_for(inbound_ids)
            if inbound_ids is not None
            else [self.inbounds[i] for i in current.inbound_ids]
        )
        checked = [self._validate_client(i, fields) for i in inbounds]
        new = checked[0]
        new.pop("inboundIds", None)
        self._check_duplicate(new["email"], except_email=email)
        del self._clients[email]
        row = self._traffic.pop(email, None)
        if row is not None:
            row.email = new["email"]
            self._traffic[new["email"]] = row
        current.fields = new
        current.inbound_ids = [i.id for i in inbounds]
        self._clients[new["email"]] = current
        self._sync_row(current)
        return self._client_json(current)

    async def _c_del(self, request: web.Request) -> Any:
        email = request.match_info["email"]
        self._c_require(email)
        del self._clients[email]
        self._traffic.pop(email, None)
        return None

    async def _c_get(self, request: web.Request) -> Any:
        return self._client_json(self._c_require(request.match_info["email"]))

    async def _c_by_tg(self, request: web.Request) -> Any:
        tg = request.match_info["tg"]
        return [
            self._client_json(c) for c in self._clients.values() if str(c.fields.get("tgId")) == tg
        ]

    async def _c_reset(self, request: web.Request) -> Any:
        email = request.match_info["email"]
        self._c_require(email)
        self._reset(email)
        return None

    def _links(self, sub_id: str) -> list[str]:
        links = []
        for client in self._clients.values():
            if client.fields.get("subId") != sub_id:
                continue
            row = self.traffic(client.fields["email"])
            if not client.fields.get("enable", True) or (row is not None and not row.enable):
                continue
            for inbound_id in client.inbound_ids:
                inbound = self.inbounds[inbound_id]
                secret = client.fields.get(_client_key(inbound.protocol))
                remark = quote(f"{inbound.remark}-{client.fields['email']}")
                links.append(
                    f"{inbound.protocol}://{secret}@{self.host}:{inbound.port}"
                    f"?type=tcp&security={inbound.stream_settings.get('security', 'none')}"
                    f"#{remark}"
                )
        return links

    async def _c_sub_links(self, request: web.Request) -> Any:
        return self._links(request.match_info["sub_id"])

    async def _subscription(self, request: web.Request) -> web.StreamResponse:
        sub_id = request.match_info["sub_id"]
        if not any(c.fields.get("subId") == sub_id for c in self._clients.values()):
            return web.Response(status=404, text="Error!")
        body = base64.b64encode("\n".join(self._links(sub_id)).encode()).decode()
        return web.Response(text=body, headers={"profile-update-interval": "12"})
