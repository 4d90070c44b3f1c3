"""The official ``remnawave`` SDK (2.x) talks to the 2.x emulator.

The SDK pins an older httpx than the project, so it lives in an isolated virtualenv
(created with ``uv venv`` + ``uv pip install`` under a cache directory, reused between
runs) and runs a small script against the emulator served by this test process.
The test is skipped only when installing the SDK fails with a network error.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Case

SDK_REQUIREMENT = "remnawave>=2,<3"
NETWORK_ERROR = re.compile(
    r"(?i)(network|dns error|failed to fetch|connection (refused|reset)|timed? ?out|"
    r"could not connect|error sending request|name resolution|offline)"
)

SCRIPT = r"""
import asyncio, json, sys
from datetime import datetime, timedelta, timezone

from remnawave import RemnawaveSDK
from remnawave.models import CreateUserRequestDto

async def main(base_url, token):
    sdk = RemnawaveSDK(base_url=base_url, token=token)
    out = {}
    created = await sdk.users.create_user(CreateUserRequestDto(
        username="sdk_user",
        expire_at=datetime.now(timezone.utc) + timedelta(days=30),
        traffic_limit_bytes=10 * 1024**3,
        telegram_id=12345,
        description="from the SDK",
    ))
    out["created"] = {"uuid": str(created.uuid), "status": str(created.status.value),
                      "short": created.short_uuid, "url": created.subscription_url}
    got = await sdk.users.get_user_by_uuid(str(created.uuid))
    out["got"] = got.username
    by_name = await sdk.users.get_user_by_username("sdk_user")
    out["by_name"] = str(by_name.uuid)
    disabled = await sdk.users.disable_user(str(created.uuid))
    out["disabled"] = str(disabled.status.value)
    enabled = await sdk.users.enable_user(str(created.uuid))
    out["enabled"] = str(enabled.status.value)
    try:
        await sdk.users.enable_user(str(created.uuid))
    except Exception as exc:
        out["enable_again"] = [type(exc).__name__, str(getattr(exc, "code", ""))]
    by_tg = await sdk.users.get_users_by_telegram_id("12345")
    out["by_tg"] = [u.username for u in by_tg]
    users = await sdk.users.get_all_users(start=0, size=10)
    out["total"] = users.total
    deleted = await sdk.users.delete_user(str(created.uuid))
    out["deleted"] = deleted.is_deleted
    print("RESULT " + json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _venv_dir() -> Path:
    root = os.environ.get("VPNSALES_SDK_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vpnsales"
    )
    return Path(root) / "remnawave-sdk-2"


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def _sdk_python() -> Path:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the isolated SDK environment"
    venv = _venv_dir()
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    marker = venv / ".installed"
    if marker.exists() and python.exists():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    code, _, err = await _run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    assert code == 0, f"uv venv failed: {err[-2000:]}"
    env_python = str(python)
    code, _, err = await _run(
        uv, "pip", "install", "--quiet", "--python", env_python, SDK_REQUIREMENT
    )
    if code != 0:
        if NETWORK_ERROR.search(err):
            pytest.skip(f"cannot install {SDK_REQUIREMENT} (network): {err.strip()[-300:]}")
        raise AssertionError(f"installing {SDK_REQUIREMENT} failed: {err[-2000:]}")
    marker.write_text(SDK_REQUIREMENT)
    return python


@pytest.mark.timeout(300)
async def test_official_sdk_against_the_2x_emulator(case_factory: object, tmp_path: Path) -> None:
    python = await _sdk_python()
    case: Case = await case_factory("remnawave-2.x")  # type: ignore[operator]
    script = tmp_path / "sdk_check.py"
    script.write_text(SCRIPT)
    code, out, err = await _run(str(python), str(script), case.rw.base_url, case.rw.api_token)
    assert code == 0, f"SDK script failed:\n{out}\n{err[-3000:]}"
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["created"]["status"] == "ACTIVE"
    assert result["created"]["url"].endswith("/" + result["created"]["short"])
    assert result["got"] == "sdk_user"
    assert result["by_name"] == result["created"]["uuid"]
    assert result["disabled"] == "DISABLED"
    assert result["enabled"] == "ACTIVE"
    assert result["enable_again"][1] == "A030"
    assert result["by_tg"] == ["sdk_user"]
    assert result["total"] == 1
    assert result["deleted"] is True
    assert case.rw.users == {}
    # every SDK request carried the forwarded headers the production panel requires
    assert all(c.headers.get("X-Forwarded-Proto") == "https" for c in case.rw.calls_to("/api/"))
