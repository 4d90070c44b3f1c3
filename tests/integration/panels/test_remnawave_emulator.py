"""Fidelity of the Remnawave emulator to CONTRACTS.md §1 (raw HTTP), plus webhooks."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aiohttp import web

from vpnsales.adapters.panels.remnawave import verify_webhook_signature
from vpnsales.application.ports.panels import (
    AccountRef,
    PanelAccountStatus,
    PanelAuthError,
    PanelRejected,
)
from vpnsales.testing.emulators.remnawave import DEFAULT_SQUAD_UUID, iso

if TYPE_CHECKING:
    from conftest import Case

GOOD = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


@pytest.fixture
async def api(rw_case: Case) -> AsyncIterator[httpx.AsyncClient]:
    headers = {**GOOD, "Authorization": f"Bearer {rw_case.rw.api_token}"}
    async with httpx.AsyncClient(base_url=rw_case.rw.base_url + "/api", headers=headers) as c:
        yield c


def _key(case: Case, user: dict[str, Any]) -> str:
    return str(user["id"]) if case.rw.dialect == "3.x" else str(user["uuid"])


async def _create(api: httpx.AsyncClient, case: Case, **fields: Any) -> dict[str, Any]:
    body = {"username": "user_1", "expireAt": iso(case.clock() + timedelta(days=10)), **fields}
    response = await api.post("/users", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["response"])


async def test_missing_forwarded_headers_drop_the_connection(rw_case: Case) -> None:
    auth = {"Authorization": f"Bearer {rw_case.rw.api_token}"}
    async with httpx.AsyncClient(base_url=rw_case.rw.base_url) as client:
        for headers in (
            auth,
            {**auth, "X-Forwarded-Proto": "https"},
            {**auth, **GOOD, "X-Forwarded-Proto": "http"},
        ):
            with pytest.raises(httpx.TransportError):
                await client.get("/api/users", headers=headers)
        ok = await client.get("/api/users", headers={**auth, **GOOD})
        assert ok.status_code == 200
        assert ok.json() == {"response": {"users": [], "total": 0}}
        bad = await client.get("/api/users", headers={**GOOD, "Authorization": "Bearer nope"})
        assert bad.status_code == 401
        missing = await client.get("/api/users", headers=GOOD)
        assert missing.status_code == 401
    rw_case.rw.production_mode = False
    async with httpx.AsyncClient(base_url=rw_case.rw.base_url) as client:
        assert (await client.get("/api/users", headers=auth)).status_code == 200


async def test_user_object_and_errors(rw_case: Case, api: httpx.AsyncClient) -> None:
    user = await _create(
        api, rw_case, telegramId=42, tag="VIP_1", activeInternalSquads=[DEFAULT_SQUAD_UUID]
    )
    assert ("uuid" in user) is (rw_case.rw.dialect == "2.x")
    assert user["status"] == "ACTIVE"
    assert user["subscriptionUrl"] == f"https://{rw_case.rw.sub_public_domain}/{user['shortUuid']}"
    assert user["activeInternalSquads"] == [{"uuid": DEFAULT_SQUAD_UUID, "name": "Default-Squad"}]
    assert user["userTraffic"]["usedTrafficBytes"] == 0

    dup = await api.post("/users", json={"username": "user_1", "expireAt": user["expireAt"]})
    assert dup.status_code == 400
    error = dup.json()
    assert error["errorCode"] == "A019"
    assert set(error) == {"timestamp", "path", "message", "errorCode"}

    missing = await api.get(
        "/users/999999"
        if rw_case.rw.dialect == "3.x"
        else f"/users/{'0' * 8}-0000-4000-8000-{'0' * 12}"
    )
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "A025"
    by_name = await api.get("/users/by-username/nobody")
    assert by_name.status_code == 404
    assert by_name.json()["errorCode"] == "A063"

    key = _key(rw_case, user)
    again = await api.post(f"/users/{key}/actions/enable")
    assert again.status_code == 400
    assert again.json()["errorCode"] == "A030"
    assert (await api.post(f"/users/{key}/actions/disable")).status_code == 200
    again = await api.post(f"/users/{key}/actions/disable")
    assert again.status_code == 400
    assert again.json()["errorCode"] == "A029"
    deleted = await api.delete(f"/users/{key}")
    assert deleted.json() == {"response": {"isDeleted": True}}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab"},
        {"username": "x" * 37},
        {"username": "bad name!"},
        {"tag": "lower"},
        {"tag": "A" * 17},
        {"trafficLimitStrategy": "YEAR"},
        {"trafficLimitBytes": -1},
        {"expireAt": None},
        {"activeInternalSquads": ["00000000-0000-4000-8000-000000000000"]},
    ],
)
async def test_validation(rw_case: Case, api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    full: dict[str, Any] = {
        "username": "user_1",
        "expireAt": iso(rw_case.clock() + timedelta(days=1)),
    }
    full.update(body)
    if full["expireAt"] is None:
        del full["expireAt"]
    response = await api.post("/users", json=full)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert rw_case.rw.users == {}


async def test_update_rules(rw_case: Case, api: httpx.AsyncClient) -> None:
    user = await _create(api, rw_case, trafficLimitBytes=1000)
    key_field = "id" if rw_case.rw.dialect == "3.x" else "uuid"
    ident = {key_field: user[key_field]}

    past = await api.patch(
        "/users", json={**ident, "expireAt": iso(rw_case.clock() - timedelta(days=1))}
    )
    assert past.status_code == 400
    limited = await api.patch("/users", json={**ident, "status": "LIMITED"})
    assert limited.status_code == 400

    # the panel expires the user by itself; a future expireAt re-activates it
    rw_case.clock.advance(days=11)
    assert rw_case.rw.get_user("user_1").status == "EXPIRED"  # type: ignore[union-attr]
    future = iso(rw_case.clock() + timedelta(days=30))
    renewed = await api.patch("/users", json={**ident, "expireAt": future})
    assert renewed.json()["response"]["status"] == "ACTIVE"

    # ... unless the body sets a status
    rw_case.clock.advance(days=31)
    future = iso(rw_case.clock() + timedelta(days=30))
    kept = await api.patch(
        "/users", json={"username": "user_1", "expireAt": future, "status": "DISABLED"}
    )
    assert kept.json()["response"]["status"] == "DISABLED"
    await api.patch("/users", json={**ident, "status": "ACTIVE"})

    # over quota → LIMITED; raising the limit re-activates
    rw_case.rw.add_traffic("user_1", 1000)
    assert rw_case.rw.get_user("user_1").status == "LIMITED"  # type: ignore[union-attr]
    same = await api.patch("/users", json={**ident, "trafficLimitBytes": 1000})
    assert same.json()["response"]["status"] == "LIMITED"
    raised = await api.patch("/users", json={**ident, "trafficLimitBytes": 5000})
    assert raised.json()["response"]["status"] == "ACTIVE"
    rw_case.rw.add_traffic("user_1", 5000)
    unlimited = await api.patch("/users", json={**ident, "trafficLimitBytes": 0})
    assert unlimited.json()["response"]["status"] == "ACTIVE"


async def test_adapter_sees_the_expired_user_reactivated(rw_case: Case) -> None:
    await rw_case.panel.ensure_account(rw_case.spec("frank_6", days=1))
    rw_case.clock.advance(days=3)
    state = await rw_case.panel.get_state(AccountRef("frank_6"))
    assert state is not None
    assert state.status is PanelAccountStatus.EXPIRED
    await rw_case.panel.set_expiry(AccountRef("frank_6"), rw_case.clock() + timedelta(days=5))
    state = await rw_case.panel.get_state(AccountRef("frank_6"))
    assert state is not None
    assert state.status is PanelAccountStatus.ACTIVE


async def test_list_lookup_and_bulk(rw_case: Case, api: httpx.AsyncClient) -> None:
    users = [
        await _create(api, rw_case, username=f"user_{i}", telegramId=100 + i % 2) for i in range(5)
    ]
    page = (await api.get("/users", params={"start": 1, "size": 2})).json()["response"]
    assert page["total"] == 5
    assert [u["username"] for u in page["users"]] == ["user_1", "user_2"]
    assert (await api.get("/users", params={"size": 0})).status_code == 400

    if rw_case.rw.dialect == "2.x":
        by_tg = (await api.get("/users/by-telegram-id/100")).json()["response"]
        assert [u["username"] for u in by_tg] == ["user_0", "user_2", "user_4"]
        assert (await api.get("/users/by-telegram-id/5")).json() == {"response": []}
        rw_case.rw.telegram_none_404 = True
        old = await api.get("/users/by-telegram-id/5")
        assert old.status_code == 404
        assert old.json()["errorCode"] == "A062"
        ids: list[Any] = [u["uuid"] for u in users[:2]]
        id_key = "uuids"
    else:
        assert (await api.get("/users/by-telegram-id/100")).status_code == 404
        stream = (await api.get("/users/stream", params={"telegramId": 101, "size": 1})).json()[
            "response"
        ]
        assert [u["username"] for u in stream["users"]] == ["user_1"]
        assert stream["hasMore"] is True
        nxt = await api.get(
            "/users/stream", params={"telegramId": 101, "size": 1, "cursor": stream["nextCursor"]}
        )
        assert [u["username"] for u in nxt.json()["response"]["users"]] == ["user_3"]
        resolved = (await api.post("/users/resolve", json={"username": "user_2"})).json()[
            "response"
        ]
        assert resolved["id"] == users[2]["id"]
        assert "uuid" not in resolved
        extended = await api.post(f"/users/{users[2]['id']}/actions/extend", json={"days": 10})
        before = users[2]["expireAt"].replace("Z", "+00:00")
        after = extended.json()["response"]["expireAt"].replace("Z", "+00:00")
        from datetime import datetime

        assert datetime.fromisoformat(after) - datetime.fromisoformat(before) == timedelta(days=10)
        ids = [u["id"] for u in users[:2]]
        id_key = "ids"

    extend = await api.post(
        "/users/bulk/extend-expiration-date", json={id_key: ids, "extendDays": 3}
    )
    assert extend.json() == {"response": {"affectedRows": 2}}
    update = await api.post(
        "/users/bulk/update", json={id_key: ids, "fields": {"description": "bulk"}}
    )
    assert update.json() == {"response": {"affectedRows": 2}}
    assert rw_case.rw.get_user("user_0").description == "bulk"  # type: ignore[union-attr]
    squads = await api.get("/internal-squads")
    assert squads.json()["response"]["total"] == 1
    deleted = await api.post("/users/bulk/delete", json={id_key: ids})
    assert deleted.json() == {"response": {"affectedRows": 2}}
    assert sorted(rw_case.rw.users) == ["user_2", "user_3", "user_4"]


async def test_subscription_listener(rw_case: Case, api: httpx.AsyncClient) -> None:
    user = await _create(api, rw_case)
    async with httpx.AsyncClient(base_url=rw_case.rw.base_url) as client:
        sub = await client.get(f"/{user['shortUuid']}")
        assert sub.status_code == 200
        assert base64.b64decode(sub.text).decode().startswith("vless://")
        assert "subscription-userinfo" in sub.headers
        assert (await client.get("/unknownShort")).status_code == 404


async def test_nodes_health(rw_case: Case) -> None:
    rw_case.rw.set_nodes(online=2, offline=1)
    health = await rw_case.panel.health()
    assert health.nodes_online == 2
    assert health.nodes_offline == 1


async def test_webhook_signature(rw_case: Case) -> None:
    rw_case.rw.webhook_secret = "w" * 40
    await rw_case.panel.ensure_account(rw_case.spec("gina_07"))
    received: list[tuple[bool, dict[str, Any]]] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        ok = verify_webhook_signature(
            "w" * 40, body, request.headers.get("X-Remnawave-Signature", "")
        )
        received.append((ok, await request.json()))
        arrived.set()
        return web.Response(status=200 if ok else 401)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await rw_case.rw.send_webhook(url, "user.expired", "gina_07") == 200
        assert (
            await rw_case.rw.send_webhook(url, "user.expired", "gina_07", wrong_signature=True)
            == 401
        )
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        await runner.cleanup()
    assert [ok for ok, _ in received] == [True, False]
    payload = received[0][1]
    assert payload["event"] == "user.expired"
    assert payload["scope"] == "user"
    assert payload["data"]["username"] == "gina_07"


async def test_token_scopes(rw_case: Case) -> None:
    rw_case.rw.extra_tokens["read-only-token"] = ("users:read",)
    reader = rw_case.make_panel(api_token="read-only-token")
    assert await reader.get_state(AccountRef("nobody")) is None
    with pytest.raises(PanelAuthError) as info:
        await reader.ensure_account(rw_case.spec("pete_15"))
    assert "HTTP 403" in str(info.value)
    assert "read-only-token" not in str(info.value)


async def test_extend_action_3x(rw_case: Case) -> None:
    from vpnsales.adapters.panels.remnawave import RemnawavePanel

    panel = rw_case.panel
    assert isinstance(panel, RemnawavePanel)
    state = await panel.ensure_account(rw_case.spec("quinn_16", days=1))
    if rw_case.rw.dialect == "2.x":
        with pytest.raises(PanelRejected):
            await panel.extend(state.ref, 5)
        return
    rw_case.clock.advance(days=2)
    extended = await panel.extend(state.ref, 5)
    assert extended.status is PanelAccountStatus.ACTIVE
    assert extended.expires_at == rw_case.clock() + timedelta(days=5)


async def test_squads_and_limits_reach_the_panel(rw_case: Case) -> None:
    from dataclasses import replace

    spec = replace(rw_case.spec("rita_17", devices=None), squads=(DEFAULT_SQUAD_UUID,))
    await rw_case.panel.ensure_account(spec)
    user = rw_case.rw.get_user("rita_17")
    assert user is not None
    assert user.active_internal_squads == [DEFAULT_SQUAD_UUID]
    assert user.hwid_device_limit == 0
    assert user.traffic_limit_strategy == "MONTH"
    assert user.telegram_id == 777001
    before = len(rw_case.rw.calls)
    bad = replace(spec, squads=("00000000-0000-4000-8000-000000000000",))
    with pytest.raises(PanelRejected, match="Validation failed"):
        await rw_case.panel.ensure_account(bad)
    lookups = 2 if rw_case.rw.dialect == "3.x" else 1  # resolve + get / by-username
    assert len(rw_case.rw.calls) - before == lookups + 1  # one PATCH, not retried
