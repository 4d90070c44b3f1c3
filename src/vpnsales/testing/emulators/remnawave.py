"""An in-process Remnawave panel (CONTRACTS.md §1), dialects ``2.x`` and ``3.x``.

Served over real HTTP by :class:`EmulatorServer`. Follows the documented transport
(Bearer token, the dropped connection without ``X-Forwarded-*`` in production mode,
the ``{"response": ...}`` envelope, error bodies and codes), the update rules and the
panel's own status changes (``EXPIRED`` when ``expireAt`` passes per :attr:`clock`,
``LIMITED`` when used traffic reaches the limit).

Test hooks are plain methods: :meth:`add_traffic`, :meth:`delete_behind_our_back`,
:meth:`edit_behind_our_back`, :meth:`get_user`, :attr:`users`, :meth:`set_nodes`,
:meth:`sign_webhook`, :meth:`send_webhook`, :meth:`subscription_path`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid as uuid_mod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

import aiohttp
from aiohttp import web

from vpnsales.testing.emulators.base import DropConnection, EmulatorServer

Dialect = Literal["2.x", "3.x"]

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
TAG_RE = re.compile(r"^[A-Z0-9_]+$")
STRATEGIES = frozenset({"NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING"})
STATUSES = frozenset({"ACTIVE", "DISABLED", "LIMITED", "EXPIRED"})
SETTABLE_STATUSES = frozenset({"ACTIVE", "DISABLED"})

DEFAULT_SQUAD_UUID = "0e2b7e44-5d5c-4c4b-9a37-6a0f5c0b8d11"

ApiHandler = Callable[[web.Request], Awaitable[Any]]


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _ValidationError(Exception):
    def __init__(self, *errors: str) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(slots=True)
class EmulatedUser:
    uuid: str
    id: int
    short_uuid: str
    username: str
    status: str
    expire_at: datetime
    traffic_limit_bytes: int = 0
    traffic_limit_strategy: str = "NO_RESET"
    telegram_id: int | None = None
    email: str | None = None
    description: str | None = None
    tag: str | None = None
    hwid_device_limit: int | None = None
    active_internal_squads: list[str] = field(default_factory=list)
    external_squad_uuid: str | None = None
    vless_uuid: str = ""
    trojan_password: str = ""
    ss_password: str = ""
    used_traffic_bytes: int = 0
    lifetime_used_traffic_bytes: int = 0
    online_at: datetime | None = None
    first_connected_at: datetime | None = None
    sub_revoked_at: datetime | None = None
    last_traffic_reset_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(slots=True)
class EmulatedNode:
    name: str
    address: str
    is_connected: bool = True
    is_disabled: bool = False
    uuid: str = field(default_factory=lambda: str(uuid_mod.uuid4()))
    users_online: int = 0


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _short_uuid() -> str:
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")[:16]


@dataclass
class RemnawaveEmulator(EmulatorServer):
    dialect: Dialect = "2.x"
    api_token: str = field(default="rw-test-token", repr=False)
    sub_public_domain: str = "sub.example.test"
    webhook_secret: str | None = field(default=None, repr=False)
    extra_tokens: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    """More API tokens with their scopes (``*``, ``users:*``, ``users:read``…); the main
    ``api_token`` has ``*``. A token without the scope a route needs gets 403."""
    production_mode: bool = True
    """Drop the connection unless ``X-Forwarded-Proto: https`` and ``X-Forwarded-For``."""
    telegram_none_404: bool = False
    """Answer 404 ``A062`` on a Telegram-id lookup with no users (panels ≤ 2.2)."""
    squads: dict[str, str] = field(default_factory=lambda: {DEFAULT_SQUAD_UUID: "Default-Squad"})
    """Internal squads: uuid → name."""
    nodes: list[EmulatedNode] = field(default_factory=lambda: [EmulatedNode("node-1", "10.0.0.1")])
    _users: dict[str, EmulatedUser] = field(default_factory=dict, init=False, repr=False)
    _next_id: int = field(default=1, init=False, repr=False)

    # -- test hooks ------------------------------------------------------------------
    @property
    def users(self) -> Mapping[str, EmulatedUser]:
        """Users by username (after applying the panel's own status rules)."""
        for user in self._users.values():
            self._refresh(user)
        return MappingProxyType({u.username: u for u in self._users.values()})

    def get_user(self, username: str) -> EmulatedUser | None:
        return self.users.get(username)

    def user_json(self, username: str) -> dict[str, Any]:
        user = self._by_username(username)
        if user is None:
            raise KeyError(username)
        return self._serialize(user)

    def add_traffic(self, username: str, nbytes: int) -> None:
        user = self._require(username)
        user.used_traffic_bytes += nbytes
        user.lifetime_used_traffic_bytes += nbytes
        now = self.clock()
        user.online_at = now
        if user.first_connected_at is None:
            user.first_connected_at = now
        self._refresh(user)

    def delete_behind_our_back(self, username: str) -> None:
        user = self._require(username)
        del self._users[user.uuid]

    def edit_behind_our_back(self, username: str, **fields: Any) -> None:
        """Change stored fields directly (python names, e.g. ``status="DISABLED"``)."""
        user = self._require(username)
        for name, value in fields.items():
            if not hasattr(user, name):
                raise AttributeError(name)
            setattr(user, name, value)
        user.updated_at = self.clock()

    def set_nodes(self, *, online: int, offline: int = 0) -> None:
        self.nodes = [EmulatedNode(f"node-{i + 1}", f"10.0.0.{i + 1}") for i in range(online)]
        self.nodes += [
            EmulatedNode(f"node-{online + i + 1}", f"10.0.1.{i + 1}", is_connected=False)
            for i in range(offline)
        ]

    def subscription_path(self, subscription_url: str) -> str:
        """Where this server serves a ``subscriptionUrl`` (its last path segment)."""
        return "/" + subscription_url.rstrip("/").rsplit("/", 1)[-1]

    def sign_webhook(self, body: bytes) -> str:
        if not self.webhook_secret:
            raise RuntimeError("webhook_secret is not configured")
        return hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def webhook_body(
        self, event: str, user: EmulatedUser | str, meta: Mapping[str, Any] | None = None
    ) -> bytes:
        if isinstance(user, str):
            user = self._require(user)
        payload = {
            "scope": event.split(".", 1)[0],
            "event": event,
            "timestamp": iso(self.clock()),
            "data": self._serialize(user),
            "meta": dict(meta) if meta else None,
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    async def send_webhook(
        self,
        url: str,
        event: str,
        user: EmulatedUser | str,
        *,
        meta: Mapping[str, Any] | None = None,
        wrong_signature: bool = False,
    ) -> int:
        """POST a signed webhook (or a wrongly signed one); returns the HTTP status."""
        body = self.webhook_body(event, user, meta)
        signature = self.sign_webhook(body)
        if wrong_signature:
            signature = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Remnawave-Signature": signature,
            "X-Remnawave-Timestamp": str(int(self.clock().timestamp())),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # -- internals -------------------------------------------------------------------
    def _require(self, username: str) -> EmulatedUser:
        user = self._by_username(username)
        if user is None:
            raise KeyError(username)
        return user

    def _by_username(self, username: str) -> EmulatedUser | None:
        return next((u for u in self._users.values() if u.username == username), None)

    def _refresh(self, user: EmulatedUser) -> EmulatedUser:
        """The panel's own rules: ACTIVE → EXPIRED / LIMITED."""
        if user.status == "ACTIVE":
            if user.expire_at <= self.clock():
                user.status = "EXPIRED"
            elif user.traffic_limit_bytes > 0 and (
                user.used_traffic_bytes >= user.traffic_limit_bytes
            ):
                user.status = "LIMITED"
        return user

    def _serialize(self, user: EmulatedUser) -> dict[str, Any]:
        self._refresh(user)
        data: dict[str, Any] = {
            "uuid": user.uuid,
            "id": user.id,
            "shortUuid": user.short_uuid,
            "username": user.username,
            "status": user.status,
            "expireAt": iso(user.expire_at),
            "trafficLimitBytes": user.traffic_limit_bytes,
            "trafficLimitStrategy": user.traffic_limit_strategy,
            "telegramId": user.telegram_id,
            "email": user.email,
            "description": user.description,
            "tag": user.tag,
            "hwidDeviceLimit": user.hwid_device_limit,
            "externalSquadUuid": user.external_squad_uuid,
            "trojanPassword": user.trojan_password,
            "vlessUuid": user.vless_uuid,
            "ssPassword": user.ss_password,
            "lastTriggeredThreshold": 0,
            "subRevokedAt": iso(user.sub_revoked_at),
            "subLastUserAgent": None,
            "subLastOpenedAt": None,
            "lastTrafficResetAt": iso(user.last_traffic_reset_at),
            "createdAt": iso(user.created_at),
            "updatedAt": iso(user.updated_at),
            "subscriptionUrl": f"https://{self.sub_public_domain}/{user.short_uuid}",
            "activeInternalSquads": [
                {"uuid": s, "name": self.squads.get(s, "")} for s in user.active_internal_squads
            ],
            "userTraffic": {
                "usedTrafficBytes": user.used_traffic_bytes,
                "lifetimeUsedTrafficBytes": user.lifetime_used_traffic_bytes,
                "onlineAt": iso(user.online_at),
                "firstConnectedAt": iso(user.first_connected_at),
                "lastConnectedNodeUuid": None,
            },
        }
        if self.dialect == "3.x":
            del data["uuid"]
        return data

    def _key(self, raw: str) -> EmulatedUser:
        """Find a user by the path key of this dialect (uuid in 2.x, numeric id in 3.x)."""
        if self.dialect == "3.x":
            if not raw.isdigit():
                raise _ValidationError("id must be a positive integer")
            user = next((u for u in self._users.values() if u.id == int(raw)), None)
        else:
            user = self._users.get(raw)
        if user is None:
            raise _ApiError(404, "A025", "User not found")
        return self._refresh(user)

    def _error(self, request: web.Request, exc: _ApiError) -> web.Response:
        return web.json_response(
            {
                "timestamp": iso(self.clock()),
                "path": request.path,
                "message": exc.message,
                "errorCode": exc.code,
            },
            status=exc.status,
        )

    @staticmethod
    def _validation(exc: _ValidationError) -> web.Response:
        return web.json_response(
            {
                "statusCode": 400,
                "message": "Validation failed",
                "errors": [{"message": e} for e in exc.errors],
            },
            status=400,
        )

    def _guard(self, handler: ApiHandler, status: int = 200) -> Callable[..., Any]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if self.production_mode and (
                request.headers.get("X-Forwarded-Proto", "").lower() != "https"
                or not request.headers.get("X-Forwarded-For", "").strip()
            ):
                raise DropConnection
            auth = request.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            scopes = self._scopes_of(token)
            if scopes is None:
                return web.json_response({"message": "Unauthorized", "statusCode": 401}, status=401)
            resource = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
            reading = request.method == "GET" or request.path.endswith("/resolve")
            if not (
                "*" in scopes
                or f"{resource}:*" in scopes
                or (reading and f"{resource}:read" in scopes)
            ):
                return web.json_response(
                    {"message": "Forbidden resource", "statusCode": 403}, status=403
                )
            try:
                payload = await handler(request)
            except _ApiError as exc:
                return self._error(request, exc)
            except _ValidationError as exc:
                return self._validation(exc)
            return web.json_response({"response": payload}, status=status)

        return wrapped

    def _scopes_of(self, token: str) -> tuple[str, ...] | None:
        if token and hmac.compare_digest(token, self.api_token):
            return ("*",)
        for known, scopes in self.extra_tokens.items():
            if token and hmac.compare_digest(token, known):
                return scopes
        return None

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise _ValidationError("body must be JSON") from None
        if not isinstance(body, dict):
            raise _ValidationError("body must be an object")
        return body

    # -- validation ------------------------------------------------------------------
    def _validate_fields(self, body: Mapping[str, Any], *, creating: bool) -> list[str]:
        errors: list[str] = []
        if creating or "username" in body:
            username = body.get("username")
            if not isinstance(username, str) or not USERNAME_RE.match(username):
                errors.append("username: must match ^[a-zA-Z0-9_-]+$")
            elif not 3 <= len(username) <= 36:
                errors.append("username: length must be 3-36")
        if creating and "expireAt" not in body:
            errors.append("expireAt: required")
        if "expireAt" in body:
            try:
                expire = parse_iso(body["expireAt"])
            except ValueError:
                errors.append("expireAt: must be an ISO-8601 date")
            else:
                if not creating and expire <= self.clock():
                    errors.append("expireAt: must be in the future")
        if "status" in body:
            allowed = STATUSES if creating else SETTABLE_STATUSES
            if body["status"] not in allowed:
                errors.append(f"status: must be one of {sorted(allowed)}")
        if "trafficLimitBytes" in body:
            value = body["trafficLimitBytes"]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors.append("trafficLimitBytes: must be a number >= 0")
        if "trafficLimitStrategy" in body and body["trafficLimitStrategy"] not in STRATEGIES:
            errors.append(f"trafficLimitStrategy: must be one of {sorted(STRATEGIES)}")
        if "hwidDeviceLimit" in body and body["hwidDeviceLimit"] is not None:
            value = body["hwidDeviceLimit"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors.append("hwidDeviceLimit: must be an integer >= 0 or null")
        if "telegramId" in body and body["telegramId"] is not None:
            value = body["telegramId"]
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append("telegramId: must be an integer or null")
        if body.get("tag") is not None:
            tag = body["tag"]
            if not isinstance(tag, str) or not TAG_RE.match(tag) or len(tag) > 16:
                errors.append("tag: must match ^[A-Z0-9_]+$, at most 16 chars")
        if "activeInternalSquads" in body:
            squads = body["activeInternalSquads"]
            if not isinstance(squads, list) or not all(isinstance(s, str) for s in squads):
                errors.append("activeInternalSquads: must be a list of uuids")
            else:
                errors.extend(
                    f"activeInternalSquads: unknown squad {s}"
                    for s in squads
                    if s not in self.squads
                )
        if "vlessUuid" in body and body["vlessUuid"] is not None:
            try:
                uuid_mod.UUID(str(body["vlessUuid"]))
            except ValueError:
                errors.append("vlessUuid: must be a uuid")
        return errors

    def _apply(self, user: EmulatedUser, body: Mapping[str, Any]) -> None:
        """Apply an update body (already validated) with the panel's status rules."""
        status_set = "status" in body
        if "expireAt" in body:
            user.expire_at = parse_iso(body["expireAt"])
            if not status_set and user.status == "EXPIRED" and user.expire_at > self.clock():
                user.status = "ACTIVE"
        if "trafficLimitBytes" in body:
            new_limit = int(body["trafficLimitBytes"])
            if (
                not status_set
                and user.status == "LIMITED"
                and (new_limit == 0 or new_limit > user.traffic_limit_bytes)
            ):
                user.status = "ACTIVE"
            user.traffic_limit_bytes = new_limit
        simple = {
            "trafficLimitStrategy": "traffic_limit_strategy",
            "telegramId": "telegram_id",
            "email": "email",
            "description": "description",
            "tag": "tag",
            "hwidDeviceLimit": "hwid_device_limit",
            "externalSquadUuid": "external_squad_uuid",
        }
        for key, attr in simple.items():
            if key in body:
                setattr(user, attr, body[key])
        if "activeInternalSquads" in body:
            user.active_internal_squads = list(body["activeInternalSquads"])
        if status_set:
            user.status = body["status"]
        user.updated_at = self.clock()
        self._refresh(user)

    # -- routes ----------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        g = self._guard
        r = app.router
        r.add_post("/api/users", g(self._create, status=201))
        r.add_patch("/api/users", g(self._update))
        r.add_get("/api/users", g(self._list))
        r.add_get("/api/users/stream", g(self._stream))
        r.add_post("/api/users/resolve", g(self._resolve))
        r.add_get("/api/users/by-username/{username}", g(self._by_username_route))
        r.add_get("/api/users/by-short-uuid/{short}", g(self._by_short_uuid))
        if self.dialect == "2.x":
            r.add_get("/api/users/by-telegram-id/{tg}", g(self._by_telegram_id))
            r.add_get("/api/users/by-id/{id}", g(self._by_numeric_id))
        for action in ("delete", "reset-traffic", "revoke-subscription"):
            r.add_post(f"/api/users/bulk/{action}", g(self._bulk_simple))
        r.add_post("/api/users/bulk/extend-expiration-date", g(self._bulk_extend))
        r.add_post("/api/users/bulk/update", g(self._bulk_update))
        r.add_post("/api/users/bulk/update-squads", g(self._bulk_update_squads))
        r.add_get("/api/users/{key}", g(self._get))
        r.add_delete("/api/users/{key}", g(self._delete))
        r.add_post("/api/users/{key}/actions/enable", g(self._enable))
        r.add_post("/api/users/{key}/actions/disable", g(self._disable))
        r.add_post("/api/users/{key}/actions/reset-traffic", g(self._reset_traffic))
        r.add_post("/api/users/{key}/actions/revoke", g(self._revoke))
        if self.dialect == "3.x":
            r.add_post("/api/users/{key}/actions/extend", g(self._extend))
        r.add_get("/api/internal-squads", g(self._squads))
        r.add_get("/api/nodes", g(self._nodes))
        r.add_get("/api/sub/{short}", self._subscription)
        r.add_get("/{short}", self._subscription)

    async def _create(self, request: web.Request) -> Any:
        body = await self._json(request)
        errors = self._validate_fields(body, creating=True)
        if errors:
            raise _ValidationError(*errors)
        if self._by_username(body["username"]) is not None:
            raise _ApiError(400, "A019", "User username already exists")
        now = self.clock()
        user_uuid = str(body.get("uuid") or uuid_mod.uuid4())
        short = body.get("shortUuid") or _short_uuid()
        if any(u.short_uuid == short for u in self._users.values()):
            raise _ApiError(400, "A020", "User short UUID already exists")
        user = EmulatedUser(
            uuid=user_uuid,
            id=self._next_id,
            short_uuid=short,
            username=body["username"],
            status=body.get("status", "ACTIVE"),
            expire_at=parse_iso(body["expireAt"]),
            vless_uuid=str(body.get("vlessUuid") or uuid_mod.uuid4()),
            trojan_password=body.get("trojanPassword") or secrets.token_hex(12),
            ss_password=body.get("ssPassword") or secrets.token_hex(12),
            created_at=now,
            updated_at=now,
        )
        self._next_id += 1
        self._apply(user, {k: v for k, v in body.items() if k not in {"status", "expireAt"}})
        user.status = body.get("status", "ACTIVE")
        self._users[user.uuid] = user
        return self._serialize(user)

    async def _update(self, request: web.Request) -> Any:
        body = await self._json(request)
        key_field = "id" if self.dialect == "3.x" else "uuid"
        user: EmulatedUser | None = None
        if body.get(key_field) is not None:
            user = self._key(str(body[key_field]))
        elif body.get("username"):
            user = self._by_username(str(body["username"]))
            if user is None:
                raise _ApiError(404, "A025", "User not found")
        else:
            raise _ValidationError(f"{key_field} or username is required")
        fields = {k: v for k, v in body.items() if k not in {"uuid", "id", "username"}}
        errors = self._validate_fields(fields, creating=False)
        if errors:
            raise _ValidationError(*errors)
        self._apply(user, fields)
        return self._serialize(user)

    def _sorted_users(self) -> list[EmulatedUser]:
        return sorted(self._users.values(), key=lambda u: u.id)

    async def _list(self, request: web.Request) -> Any:
        try:
            start = int(request.query.get("start", "0"))
            size = int(request.query.get("size", "25"))
        except ValueError:
            raise _ValidationError("start and size must be integers") from None
        if start < 0 or not 1 <= size <= 1000:
            raise _ValidationError("size must be 1-1000, start >= 0")
        users = self._sorted_users()
        return {
            "users": [self._serialize(u) for u in users[start : start + size]],
            "total": len(users),
        }

    async def _stream(self, request: web.Request) -> Any:
        try:
            size = int(request.query.get("size", "250"))
            cursor = int(request.query.get("cursor") or 0)
        except ValueError:
            raise _ValidationError("size and cursor must be integers") from None
        if not 1 <= size <= 1000:
            raise _ValidationError("size must be 1-1000")
        users = [u for u in self._sorted_users() if u.id > cursor]
        if "telegramId" in request.query:
            tg = request.query["telegramId"]
            users = [u for u in users if str(u.telegram_id) == tg]
        page = users[:size]
        has_more = len(users) > size
        return {
            "users": [self._serialize(u) for u in page],
            "nextCursor": str(page[-1].id) if has_more and page else None,
            "hasMore": has_more,
        }

    async def _resolve(self, request: web.Request) -> Any:
        body = await self._json(request)
        user: EmulatedUser | None = None
        if body.get("id") is not None:
            user = next((u for u in self._users.values() if u.id == body["id"]), None)
        elif body.get("uuid") and self.dialect == "2.x":
            user = self._users.get(str(body["uuid"]))
        elif body.get("shortUuid"):
            user = next(
                (u for u in self._users.values() if u.short_uuid == body["shortUuid"]), None
            )
        elif body.get("username"):
            user = self._by_username(str(body["username"]))
        else:
            raise _ValidationError("one of id, shortUuid, username is required")
        if user is None:
            raise _ApiError(404, "A063", "User not found by params")
        result: dict[str, Any] = {
            "id": user.id,
            "username": user.username,
            "shortUuid": user.short_uuid,
        }
        if self.dialect == "2.x":
            result["uuid"] = user.uuid
        return result

    async def _by_username_route(self, request: web.Request) -> Any:
        user = self._by_username(request.match_info["username"])
        if user is None:
            raise _ApiError(404, "A063", "User not found by params")
        return self._serialize(user)

    async def _by_short_uuid(self, request: web.Request) -> Any:
        short = request.match_info["short"]
        user = next((u for u in self._users.values() if u.short_uuid == short), None)
        if user is None:
            raise _ApiError(404, "A063", "User not found by params")
        return self._serialize(user)

    async def _by_numeric_id(self, request: web.Request) -> Any:
        raw = request.match_info["id"]
        user = next((u for u in self._users.values() if str(u.id) == raw), None)
        if user is None:
            raise _ApiError(404, "A025", "User not found")
        return self._serialize(user)

    async def _by_telegram_id(self, request: web.Request) -> Any:
        tg = request.match_info["tg"]
        found = [self._serialize(u) for u in self._sorted_users() if str(u.telegram_id) == tg]
        if not found and self.telegram_none_404:
            raise _ApiError(404, "A062", "Users not found")
        return found

    async def _get(self, request: web.Request) -> Any:
        return self._serialize(self._key(request.match_info["key"]))

    async def _delete(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        del self._users[user.uuid]
        return {"isDeleted": True}

    async def _enable(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        if user.status == "ACTIVE":
            raise _ApiError(400, "A030", "User already enabled")
        user.status = "ACTIVE"
        user.updated_at = self.clock()
        return self._serialize(user)

    async def _disable(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        if user.status == "DISABLED":
            raise _ApiError(400, "A029", "User already disabled")
        user.status = "DISABLED"
        user.updated_at = self.clock()
        return self._serialize(user)

    def _do_reset(self, user: EmulatedUser) -> None:
        user.used_traffic_bytes = 0
        user.last_traffic_reset_at = self.clock()
        if user.status == "LIMITED":
            user.status = "ACTIVE"
        self._refresh(user)

    def _do_revoke(self, user: EmulatedUser, only_passwords: bool = False) -> None:
        if not only_passwords:
            user.short_uuid = _short_uuid()
        user.vless_uuid = str(uuid_mod.uuid4())
        user.trojan_password = secrets.token_hex(12)
        user.ss_password = secrets.token_hex(12)
        user.sub_revoked_at = self.clock()

    async def _reset_traffic(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        self._do_reset(user)
        return self._serialize(user)

    async def _revoke(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        body = await self._json(request)
        self._do_revoke(user, bool(body.get("revokeOnlyPasswords")))
        return self._serialize(user)

    async def _extend(self, request: web.Request) -> Any:
        user = self._key(request.match_info["key"])
        body = await self._json(request)
        days = body.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise _ValidationError("days: must be an integer 1-3650")
        now = self.clock()
        user.expire_at = max(now, user.expire_at) + timedelta(days=days)
        if user.status == "EXPIRED":
            user.status = "ACTIVE"
        user.updated_at = now
        return self._serialize(user)

    def _bulk_targets(self, body: Mapping[str, Any]) -> list[EmulatedUser]:
        key = "ids" if self.dialect == "3.x" else "uuids"
        keys = body.get(key)
        if not isinstance(keys, list) or not 1 <= len(keys) <= 500:
            raise _ValidationError(f"{key}: must be a list of 1-500 items")
        if self.dialect == "3.x":
            wanted = {str(k) for k in keys}
            return [u for u in self._users.values() if str(u.id) in wanted]
        return [self._users[k] for k in keys if k in self._users]

    async def _bulk_simple(self, request: web.Request) -> Any:
        body = await self._json(request)
        targets = self._bulk_targets(body)
        action = request.path.rsplit("/", 1)[-1]
        for user in targets:
            if action == "delete":
                del self._users[user.uuid]
            elif action == "reset-traffic":
                self._do_reset(user)
            else:
                self._do_revoke(user)
        return {"affectedRows": len(targets)}

    async def _bulk_extend(self, request: web.Request) -> Any:
        body = await self._json(request)
        targets = self._bulk_targets(body)
        days = body.get("extendDays")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 9999:
            raise _ValidationError("extendDays: must be an integer 1-9999")
        for user in targets:
            user.expire_at += timedelta(days=days)
            if user.status == "EXPIRED" and user.expire_at > self.clock():
                user.status = "ACTIVE"
            user.updated_at = self.clock()
        return {"affectedRows": len(targets)}

    async def _bulk_update(self, request: web.Request) -> Any:
        body = await self._json(request)
        targets = self._bulk_targets(body)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise _ValidationError("fields: must be an object")
        errors = self._validate_fields(fields, creating=False)
        if errors:
            raise _ValidationError(*errors)
        for user in targets:
            self._apply(user, fields)
        return {"affectedRows": len(targets)}

    async def _bulk_update_squads(self, request: web.Request) -> Any:
        body = await self._json(request)
        targets = self._bulk_targets(body)
        fields = {"activeInternalSquads": body.get("activeInternalSquads")}
        errors = self._validate_fields(fields, creating=False)
        if errors:
            raise _ValidationError(*errors)
        for user in targets:
            self._apply(user, fields)
        return {"affectedRows": len(targets)}

    async def _squads(self, request: web.Request) -> Any:
        now = iso(self.clock())
        squads: list[dict[str, Any]] = [
            {
                "uuid": squad_uuid,
                "viewPosition": position,
                "name": name,
                "info": {
                    "membersCount": sum(
                        squad_uuid in u.active_internal_squads for u in self._users.values()
                    ),
                    "inboundsCount": 1,
                },
                "inbounds": [],
                "createdAt": now,
                "updatedAt": now,
            }
            for position, (squad_uuid, name) in enumerate(self.squads.items(), start=1)
        ]
        return {"total": len(squads), "internalSquads": squads}

    async def _nodes(self, request: web.Request) -> Any:
        return [
            {
                "uuid": node.uuid,
                "name": node.name,
                "address": node.address,
                "port": 2222,
                "isConnected": node.is_connected,
                "isDisabled": node.is_disabled,
                "isConnecting": False,
                "isNodeOnline": node.is_connected,
                "isXrayRunning": node.is_connected,
                "usersOnline": node.users_online,
                "countryCode": "XX",
            }
            for node in self.nodes
        ]

    async def _subscription(self, request: web.Request) -> web.StreamResponse:
        short = request.match_info["short"]
        user = next((u for u in self._users.values() if u.short_uuid == short), None)
        if user is None:
            return web.Response(status=404, text="Not Found")
        self._refresh(user)
        links = []
        if user.status == "ACTIVE":
            links.append(
                f"vless://{user.vless_uuid}@{self.nodes[0].address if self.nodes else 'x'}:443"
                f"?security=reality&type=tcp&flow=xtls-rprx-vision#{user.username}"
            )
        body = base64.b64encode("\n".join(links).encode()).decode()
        expire = int(user.expire_at.timestamp())
        return web.Response(
            text=body,
            headers={
                "profile-title": base64.b64encode(user.username.encode()).decode(),
                "subscription-userinfo": (
                    f"upload=0; download={user.used_traffic_bytes}; "
                    f"total={user.traffic_limit_bytes}; expire={expire}"
                ),
                "profile-update-interval": "12",
            },
        )
