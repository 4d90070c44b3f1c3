"""A request's objects are freed by reference counting: the request scope and the request
referred to each other, which left every request (and the Telegram update it carried)
to the garbage collector."""

from __future__ import annotations

import gc

import aiohttp
import pytest
from aiohttp import web
from dishka import AsyncContainer

pytestmark = pytest.mark.integration


async def test_requests_leave_no_request_scope_to_the_garbage_collector(stack) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(3):  # first-use caches
            async with client.get(stack.url("/healthz")) as response:
                assert response.status == 200
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(20):
                async with client.get(stack.url("/healthz")) as response:
                    assert response.status == 200
                async with client.get(stack.url("/readyz")) as response:
                    assert response.status == 200
            gc.collect()
            left = [o for o in gc.garbage if isinstance(o, web.Request | AsyncContainer)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left == []
