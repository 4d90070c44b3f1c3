"""``PrefixRouter``: a button press visits only the routers that could take its data."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, Message, Update, User
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from redis.asyncio import Redis

from vpnsales.entrypoints.bot import routing
from vpnsales.entrypoints.bot.callbacks import Nav, Order, Step
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.routing import BotDispatcher, FastFilter, PrefixRouter

from .test_bot_filters import the_bots_dispatcher

TOKEN = "42:AAbenchbenchbenchbenchbenchbenchben"


class Alpha(CallbackData, prefix="a"):
    n: int


class AlphaLong(CallbackData, prefix="ab"):
    n: int


class Pipe(CallbackData, prefix="p", sep="|"):
    n: int


def query(data: str | None) -> Update:
    user = User(id=7, is_bot=False, first_name="Ann")
    return Update(
        update_id=1,
        callback_query=CallbackQuery(id="q", from_user=user, chat_instance="c", data=data),
    )


class Visits:
    """Records which routers a callback query entered (their root filter ran)."""

    def __init__(self) -> None:
        self.routers: list[str] = []

    def track(self, router: Router) -> None:
        async def entered(_: CallbackQuery) -> bool:
            self.routers.append(router.name)
            return True

        router.callback_query.filter(entered)


async def route(dp: Dispatcher, data: str | None) -> Any:
    return await dp.feed_update(Bot(TOKEN), query(data))


def dispatcher(visits: Visits) -> tuple[Dispatcher, list[str]]:
    handled: list[str] = []

    def handler(name: str) -> Any:
        async def handle(_: CallbackQuery) -> None:
            handled.append(name)

        return handle

    alpha = PrefixRouter(name="alpha")
    alpha.callback_query.register(handler("alpha"), Alpha.filter(F.n == 1))
    alpha.callback_query.register(handler("alpha-2"), Alpha.filter(F.n == 2))
    long = PrefixRouter(name="long")
    long.callback_query.register(handler("long"), AlphaLong.filter())
    pipe = PrefixRouter(name="pipe")
    pipe.callback_query.register(handler("pipe"), Magic(F.from_user), Pipe.filter())
    messages_only = PrefixRouter(name="messages")
    messages_only.message.register(handler("message"))
    untyped = PrefixRouter(name="untyped")
    untyped.callback_query.register(handler("untyped"), Magic(F.data == "raw"))
    fallback = PrefixRouter(name="fallback")
    fallback.callback_query.register(handler("fallback"))
    dp = Dispatcher()
    routers = [alpha, long, pipe, messages_only, untyped, fallback]
    for r in routers:
        visits.track(r)
    dp.include_routers(*routers)
    return dp, handled


async def test_a_press_enters_only_the_routers_that_take_its_prefix() -> None:
    visits = Visits()
    dp, handled = dispatcher(visits)

    await route(dp, Alpha(n=2).pack())
    assert handled == ["alpha-2"]
    assert visits.routers == ["alpha"]

    visits.routers.clear()
    await route(dp, AlphaLong(n=1).pack())  # "ab:1" is not "a:"
    assert handled[-1] == "long"
    assert visits.routers == ["long"]

    visits.routers.clear()
    await route(dp, Pipe(n=1).pack())  # its own separator
    assert handled[-1] == "pipe"
    assert visits.routers == ["pipe"]


async def test_routers_that_may_take_any_data_are_still_tried_in_order() -> None:
    visits = Visits()
    dp, handled = dispatcher(visits)

    await route(dp, "raw")
    assert handled == ["untyped"]
    assert visits.routers == ["untyped"]

    visits.routers.clear()
    await route(dp, "a:not-a-number")  # the prefix matches, the data does not unpack
    assert handled[-1] == "fallback"
    assert visits.routers == ["alpha", "untyped", "fallback"]

    visits.routers.clear()
    await route(dp, None)  # a game button: no data
    assert handled[-1] == "fallback"
    assert visits.routers == ["untyped", "fallback"]


async def test_messages_are_routed_as_by_aiogram() -> None:
    visits = Visits()
    dp, handled = dispatcher(visits)
    user = User(id=7, is_bot=False, first_name="Ann")
    message = Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 7, "type": "private"},
            "from": user.model_dump(),
            "text": "hi",
        }
    )
    await dp.feed_update(Bot(TOKEN), Update(update_id=2, message=message))
    assert handled == ["message"]


async def test_a_handler_added_later_widens_the_router() -> None:
    router = PrefixRouter(name="r")
    router.callback_query.register(lambda q: None, Alpha.filter())
    assert router.callback_prefixes() == ("a:",)
    router.callback_query.register(lambda q: None, AlphaLong.filter())
    assert router.callback_prefixes() == ("a:", "ab:")
    router.callback_query.register(lambda q: None)
    assert router.callback_prefixes() is None
    nested = PrefixRouter(name="n")
    nested.include_router(Router())
    assert nested.callback_prefixes() is None


async def test_the_bot_routes_its_screens_to_their_own_routers() -> None:
    redis = Redis.from_url("redis://127.0.0.1:6379/0")  # never connected here
    dp = the_bots_dispatcher(redis)
    prefixes = {
        r.name: r.callback_prefixes() for r in dp.sub_routers if isinstance(r, PrefixRouter)
    }
    assert prefixes["menu"] == (Nav.__prefix__ + ":",)
    assert Order.__prefix__ + ":" in (prefixes["catalog"] or ())
    assert prefixes["start"] == ()  # no buttons: every press passes it by
    assert prefixes["fallback"] is None  # takes whatever is left
    assert Order(step=Step.TARIFF, code="x").pack().startswith(prefixes["catalog"] or ("?",))
    await redis.aclose()


class Fast(FastFilter, CallbackData, prefix="f"):
    n: int
    tag: str = ""


def press(data: str | None) -> CallbackQuery:
    user = User(id=7, is_bot=False, first_name="Ann")
    return CallbackQuery(id="q", from_user=user, chat_instance="c", data=data)


@given(
    st.one_of(
        st.none(),
        st.text(max_size=20),
        st.builds(lambda s: "f:" + s, st.text(max_size=12)),
        st.builds(lambda n, t: f"f:{n}:{t}", st.integers(-5, 5), st.text(max_size=4)),
    )
)
@settings(max_examples=300, deadline=None)
async def test_the_fast_filter_decides_like_aiogrms(data: str | None) -> None:
    for rule in (None, F.n == 1):
        ours = await Fast.filter(rule)(press(data))
        theirs = await CallbackQueryFilter(callback_data=Fast, rule=rule)(press(data))
        assert ours == theirs


class Counted(FastFilter, CallbackData, prefix="cnt"):
    """Only for the test below: nothing else has pressed its buttons."""

    n: int
    tag: str = ""


async def test_a_buttons_data_is_unpacked_once_however_many_handlers_and_presses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unpacked: list[str] = []
    original = Counted.unpack.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Counted], value: str) -> Counted:
        unpacked.append(value)
        return original(cls, value)  # type: ignore[no-any-return]

    monkeypatch.setattr(Counted, "unpack", classmethod(counting))
    one, two = press("cnt:2:x"), press("cnt:2:x")
    filters = [Counted.filter(F.n == 1), Counted.filter(F.tag == "y"), Counted.filter(F.n == 2)]
    results = [await f(one) for f in filters]
    assert results[:2] == [False, False]
    assert results[2] == {"callback_data": Counted(n=2, tag="x")}
    assert unpacked == ["cnt:2:x"]
    assert [await f(two) for f in filters] == results  # the same button pressed again
    assert unpacked == ["cnt:2:x"]
    assert await filters[2](press("cnt:3:x")) is False
    assert unpacked == ["cnt:2:x", "cnt:3:x"]
    assert await Counted.filter()(press("g:2:x")) is False
    assert unpacked == ["cnt:2:x", "cnt:3:x"]  # a foreign prefix is not unpacked at all


async def test_shared_unpacked_buttons_are_frozen_and_the_memory_is_bounded() -> None:
    result = await Counted.filter()(press("cnt:7:a"))
    assert result
    with pytest.raises(ValidationError):
        result["callback_data"].n = 8
    catch_all = Counted.filter()
    for i in range(routing.MEMORY + 10):  # forged data cannot grow it
        await catch_all(press(f"cnt:{i}:z"))
    assert len(catch_all._decided) <= routing.MEMORY
    assert len(routing._unpacked) <= routing.MEMORY


class Panel(FastFilter, CallbackData, prefix="pn"):
    to: str


def screens(kind: type[Dispatcher]) -> tuple[Dispatcher, list[str], Visits, list[str]]:
    """Two routers with buttons of one class (told apart by its value, as the bot's
    ``Nav`` screens), one that takes any data, and one for messages only."""
    visits, handled, offered = Visits(), [], []

    def handler(name: str) -> Any:
        async def handle(_: CallbackQuery) -> None:
            handled.append(name)

        return handle

    first = PrefixRouter(name="first")
    first.callback_query.register(handler("first"), Panel.filter(F.to == "a"))
    messages_only = PrefixRouter(name="messages")
    messages_only.message.register(handler("message"))
    second = PrefixRouter(name="second")
    second.callback_query.register(handler("second"), Panel.filter(F.to.in_({"b", "c"})))
    anything = PrefixRouter(name="anything")
    anything.callback_query.register(handler("anything"))
    dp = kind()
    for router in (first, messages_only, second, anything):
        visits.track(router)
        propagate = router.propagate_event

        async def offer(
            *args: Any, _name: str = router.name, _p: Any = propagate, **kw: Any
        ) -> Any:
            offered.append(_name)
            return await _p(*args, **kw)

        router.propagate_event = offer  # type: ignore[method-assign]
        dp.include_router(router)
    return dp, handled, visits, offered


async def test_a_screens_press_enters_only_the_router_whose_handler_takes_its_value() -> None:
    for kind in (Dispatcher, BotDispatcher):
        dp, handled, visits, _ = screens(kind)
        await route(dp, Panel(to="c").pack())
        assert handled == ["second"]
        assert visits.routers == ["second"]  # "first" has Panel buttons, not this one

        await route(dp, Panel(to="zz").pack())  # no screen takes it
        assert handled[-1] == "anything"
        assert visits.routers[-1:] == ["anything"]


async def test_the_bot_dispatcher_offers_a_press_only_to_the_routers_that_may_take_it() -> None:
    dp, _, _, offered = screens(Dispatcher)
    await route(dp, Panel(to="b").pack())
    assert offered == ["first", "messages", "second"]  # aiogram calls them all in turn

    dp, _, _, offered = screens(BotDispatcher)
    await route(dp, Panel(to="b").pack())
    assert offered == ["second"]
    offered.clear()
    await route(dp, "garbage")
    assert offered == ["anything"]


@given(
    st.one_of(
        st.none(),
        st.text(max_size=12),
        st.builds(lambda v: "pn:" + v, st.sampled_from(["a", "b", "c", "", "a:b", "zz"])),
    )
)
@settings(max_examples=200, deadline=None)
async def test_the_bot_dispatcher_routes_every_press_like_aiogram(data: str | None) -> None:
    ours, ours_handled, _, _ = screens(BotDispatcher)
    theirs, their_handled, _, _ = screens(Dispatcher)
    await route(ours, data)
    await route(theirs, data)
    assert ours_handled == their_handled
