"""Fidelity of the 3x-UI emulator to CONTRACTS.md §2 and the adapter's session handling."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from vpnsales.adapters.panels.xui import XuiPanel, client_uuid_for, sub_id_for
from vpnsales.application.ports.panels import AccountRef, PanelAccountStatus, PanelAuthError

if TYPE_CHECKING:
    from conftest import Case

XHR = {"X-Requested-With": "XMLHttpRequest"}


async def _login(case: Case, client: httpx.AsyncClient) -> dict[str, str]:
    """Log in like a browser; returns the headers unsafe calls need."""
    headers: dict[str, str] = {}
    if case.xui.dialect != "classic":
        token = (await client.get("csrf-token")).json()["obj"]
        headers["X-CSRF-Token"] = token
    response = await client.post(
        "login", data={"username": "admin", "password": case.xui.password}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert "3x-ui" in client.cookies
    return headers


async def test_login_and_unauthenticated_answers(xui_case: Case) -> None:
    async with httpx.AsyncClient(base_url=xui_case.xui.base) as client:
        anonymous = await client.get("panel/api/inbounds/list")
        assert anonymous.status_code == 404
        assert anonymous.content == b""
        xhr = await client.get("panel/api/inbounds/list", headers=XHR)
        assert xhr.status_code == (404 if xui_case.xui.dialect == "classic" else 401)

        if xui_case.xui.dialect != "classic":
            no_csrf = await client.post("login", data={"username": "admin", "password": "x"})
            assert no_csrf.status_code == 403
        headers: dict[str, str] = {}
        if xui_case.xui.dialect != "classic":
            headers["X-CSRF-Token"] = (await client.get("csrf-token")).json()["obj"]
        wrong = await client.post(
            "login", data={"username": "admin", "password": "x"}, headers=headers
        )
        assert wrong.status_code == 200
        assert wrong.json()["success"] is False

    async with httpx.AsyncClient(base_url=xui_case.xui.base) as client:
        headers = await _login(xui_case, client)
        listed = await client.get("panel/api/inbounds/list")
        assert listed.status_code == 200
        assert listed.json()["success"] is True
        assert [i["protocol"] for i in listed.json()["obj"]] == ["vless", "trojan"]
        if xui_case.xui.dialect != "classic":
            path = (
                "panel/api/clients/resetTraffic/x"
                if xui_case.xui.dialect == "3.1"
                else "panel/api/inbounds/onlines"
            )
            assert (await client.post(path)).status_code == 403
            assert (await client.post(path, headers=headers)).status_code == 200
        xui_case.xui.expire_sessions()
        assert (await client.get("panel/api/inbounds/list")).status_code == 404

    if xui_case.xui.dialect != "classic":
        bearer = {"Authorization": f"Bearer {xui_case.xui.api_tokens[0]}"}
        async with httpx.AsyncClient(base_url=xui_case.xui.base, headers=bearer) as client:
            assert (await client.post("panel/api/inbounds/onlines")).json()["success"] is True


async def test_client_endpoints_classic_and_30(xui_case: Case) -> None:
    if xui_case.xui.dialect == "3.1":
        return
    async with httpx.AsyncClient(base_url=xui_case.xui.base + "panel/api/inbounds/") as client:
        client.cookies = httpx.Cookies()
        async with httpx.AsyncClient(base_url=xui_case.xui.base) as login_client:
            headers = await _login(xui_case, login_client)
            client.cookies = login_client.cookies

        def settings(**fields: Any) -> str:
            return json.dumps({"clients": [fields]})

        base = {"enable": True, "expiryTime": 0, "totalGB": 0, "subId": "s1"}
        add = await client.post(
            "addClient",
            json={"id": 1, "settings": settings(id="u-1", email="one", **base)},
            headers=headers,
        )
        assert add.json()["success"] is True
        dup = await client.post(
            "addClient",
            json={"id": 2, "settings": settings(password="p", email="one", **base)},
            headers=headers,
        )
        assert dup.status_code == 200
        assert dup.json()["success"] is False
        assert "Duplicate email" in dup.json()["msg"]
        empty = await client.post(
            "addClient", json={"id": 1, "settings": settings(email="two", **base)}, headers=headers
        )
        assert empty.json()["success"] is False
        assert "empty client ID" in empty.json()["msg"]
        not_string = await client.post(
            "addClient", json={"id": 1, "settings": {"clients": []}}, headers=headers
        )
        assert not_string.json()["success"] is False

        traffic = (await client.get("getClientTraffics/one")).json()
        assert traffic["obj"]["inboundId"] == 1
        assert traffic["obj"]["enable"] is True
        assert (await client.get("getClientTraffics/none")).json() == {
            "success": True,
            "msg": "",
            "obj": None,
        }
        assert len((await client.get("getClientTrafficsById/u-1")).json()["obj"]) == 1

        last = await client.post("1/delClient/u-1", headers=headers)
        assert last.json()["success"] is False
        assert "no client remained in Inbound" in last.json()["msg"]

        update = await client.post(
            "updateClient/u-1",
            json={"id": 1, "settings": settings(id="u-1", email="one", **{**base, "totalGB": 10})},
            headers=headers,
        )
        assert update.json()["success"] is True
        xui_case.xui.add_traffic("one", 10)
        row = (await client.get("getClientTraffics/one")).json()["obj"]
        assert row["enable"] is False  # the panel's traffic row...
        assert xui_case.xui.get_client("one")["enable"] is True  # type: ignore[index]
        reset = await client.post("1/resetClientTraffic/one", headers=headers)
        assert reset.json()["success"] is True
        assert (await client.get("getClientTraffics/one")).json()["obj"]["enable"] is True


async def test_clients_api_31(xui_case: Case) -> None:
    if xui_case.xui.dialect != "3.1":
        return
    async with httpx.AsyncClient(base_url=xui_case.xui.base) as client:
        headers = await _login(xui_case, client)
        client_obj = {"id": "u-1", "password": "pw-1", "email": "one", "subId": "s1", "tgId": 5}
        added = await client.post(
            "panel/api/clients/add",
            json={"client": client_obj, "inboundIds": [1, 2]},
            headers=headers,
        )
        assert added.json()["success"] is True
        assert added.json()["obj"]["inboundIds"] == [1, 2]
        got = (await client.get("panel/api/clients/get/one")).json()
        assert got["obj"]["email"] == "one"
        assert (await client.get("panel/api/clients/get/none")).json()["success"] is False
        assert len((await client.get("panel/api/clients/get/tgId/5")).json()["obj"]) == 1
        links = (await client.get("panel/api/clients/subLinks/s1")).json()["obj"]
        assert [link.split("://")[0] for link in links] == ["vless", "trojan"]
        sub = await client.get(xui_case.xui.sub_base + "s1")
        assert sub.status_code == 200
        assert (await client.get(xui_case.xui.sub_base + "nope")).status_code == 404
        assert (
            await client.post("panel/api/inbounds/addClient", headers=headers)
        ).status_code == 404
        deleted = await client.post("panel/api/clients/del/one", headers=headers)
        assert deleted.json()["success"] is True


async def test_relogin_after_sessions_expire(xui_case: Case) -> None:
    await xui_case.panel.ensure_account(xui_case.spec())
    assert len(xui_case.xui.calls_to("/login", "POST")) == 1
    xui_case.xui.expire_sessions()
    state = await xui_case.panel.get_state(AccountRef("alice_01"))
    assert state is not None
    assert state.is_active
    assert len(xui_case.xui.calls_to("/login", "POST")) == 2
    xui_case.xui.expire_sessions()
    await xui_case.panel.disable(AccountRef("alice_01"))  # an unsafe call: fresh CSRF too
    assert len(xui_case.xui.calls_to("/login", "POST")) == 3


async def test_relogin_fails_once_then_auth_error(xui_case: Case) -> None:
    await xui_case.panel.ensure_account(xui_case.spec())
    xui_case.xui.expire_sessions()
    xui_case.xui.password = "changed-by-admin"
    with pytest.raises(PanelAuthError) as info:
        await xui_case.panel.get_state(AccountRef("alice_01"))
    assert all(secret not in str(info.value) for secret in xui_case.secrets)
    assert len(xui_case.xui.calls_to("/login", "POST")) == 2


async def test_bearer_token_skips_login_and_csrf(xui_case: Case) -> None:
    if xui_case.xui.dialect == "classic":
        return
    panel = xui_case.make_panel(api_token=xui_case.xui.api_tokens[0], password="unused")
    state = await panel.ensure_account(xui_case.spec())
    await panel.disable(state.ref)
    assert xui_case.xui.calls_to("/login") == []
    assert xui_case.xui.calls_to("csrf-token") == []
    bad = xui_case.make_panel(api_token="wrong-api-token")
    with pytest.raises(PanelAuthError) as info:
        await bad.get_state(AccountRef("alice_01"))
    assert "wrong-api-token" not in str(info.value)


async def test_traffic_row_disabled_while_enable_stays_true(xui_case: Case) -> None:
    await xui_case.panel.ensure_account(xui_case.spec("hank_08", days=1))
    xui_case.clock.advance(days=2)
    row = xui_case.xui.traffic("hank_08")
    assert row is not None
    assert row.enable is False
    assert xui_case.xui.get_client("hank_08")["enable"] is True  # type: ignore[index]
    state = await xui_case.panel.get_state(AccountRef("hank_08"))
    assert state is not None
    assert state.status is PanelAccountStatus.EXPIRED
    assert not state.is_active

    # a row disabled by the panel for a reason we cannot see is not active either
    await xui_case.panel.ensure_account(xui_case.spec("ivan_09"))
    row = xui_case.xui.traffic("ivan_09")
    assert row is not None
    row.enable = False
    state = await xui_case.panel.get_state(AccountRef("ivan_09"))
    assert state is not None
    assert not state.is_active


async def test_stable_ids_and_fields(xui_case: Case) -> None:
    await xui_case.panel.ensure_account(xui_case.spec("judy_10", devices=2, telegram_id=99))
    client = xui_case.xui.get_client("judy_10")
    assert client is not None
    assert client["id"] == str(client_uuid_for("judy_10"))
    assert client["subId"] == sub_id_for("judy_10")
    assert client["limitIp"] == 2
    assert client["tgId"] == 99
    assert client["reset"] == 0
    assert client["flow"] == "xtls-rprx-vision"
    assert client["totalGB"] == 50 * 1024**3
    assert client["expiryTime"] == int(xui_case.spec("judy_10").expires_at.timestamp() * 1000)
    assert client["comment"] == "order 1"


async def test_last_client_delete_uses_a_placeholder(xui_case: Case) -> None:
    panel = xui_case.panel
    await panel.ensure_account(xui_case.spec("kate_11"))
    await panel.delete(AccountRef("kate_11"))
    assert "kate_11" not in xui_case.xui.clients
    assert await panel.list_accounts() == []
    if xui_case.xui.dialect != "3.1":
        placeholder = xui_case.xui.get_client("vpnsales-placeholder-1")
        assert placeholder is not None
        assert placeholder["enable"] is False


async def test_trojan_inbound(xui_case: Case) -> None:
    state = await xui_case.panel.ensure_account(xui_case.spec("liam_12", inbounds=(2,)))
    assert xui_case.xui.client_inbounds("liam_12") == [2]
    await xui_case.panel.disable(state.ref)
    await xui_case.panel.reset_traffic(state.ref)
    revoked = await xui_case.panel.revoke(state.ref)
    assert revoked.subscription_url != state.subscription_url
    await xui_case.panel.delete(state.ref)
    assert await xui_case.panel.get_state(state.ref) is None


async def test_31_multi_inbound(case_factory: Any) -> None:
    case = await case_factory("xui-3.1")
    panel: XuiPanel = case.panel
    await panel.ensure_account(case.spec("mia_13", inbounds=(1, 2)))
    assert case.xui.client_inbounds("mia_13") == [1, 2]
    assert [s.username for s in await panel.list_accounts()] == ["mia_13"]


async def test_concurrent_calls_log_in_once(xui_case: Case) -> None:
    names = [f"user_{i}" for i in range(5)]
    await asyncio.gather(*(xui_case.panel.ensure_account(xui_case.spec(n)) for n in names))
    assert len(xui_case.xui.calls_to("/login", "POST")) == 1
    xui_case.xui.expire_sessions()
    states = await asyncio.gather(*(xui_case.panel.get_state(AccountRef(n)) for n in names))
    assert all(s is not None and s.is_active for s in states)
    assert len(xui_case.xui.calls_to("/login", "POST")) == 2
