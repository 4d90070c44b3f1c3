"""An in-process Telegram Bot API server for tests.

Good enough for aiogram's ``AiohttpSession(api=TelegramAPIServer.from_base(base_url))``:
``POST /bot{token}/{method}`` with urlencoded, multipart (files) or JSON bodies; answers
realistic objects and Telegram's error envelopes::

    async with TelegramEmulator() as tg:
        bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        alice = tg.add_user(1001, "Alice", language_code="en")
        await dp.feed_update(bot, tg.text_message(alice, "/start"))
        assert tg.last_message(alice.id).text.startswith("Hi")

Chats must be known before the bot can write to them (like a user who never started the
bot): register them with :meth:`add_user` / :meth:`add_group`, or by building an update
from a user (builders register the sender), or pass ``auto_register_chats=True``.

Realistic errors: unknown token → 401, unknown method → 404, unknown chat → 400
``chat not found``, blocked/deactivated → 403, text > 4096 → 400, callback data > 64 bytes
→ 400 ``BUTTON_DATA_INVALID``, unbalanced HTML → 400 ``can't parse entities``, editing with
the same content → 400 ``message is not modified``, 429 with ``retry_after`` from
``faults.throttle_next`` or from the optional limit enforcement (``enforce_limits=True``).

Every Bot API call is kept as an :class:`ApiCall` (parsed parameters, uploaded bytes,
``time.monotonic()`` arrival, status); every message the bot sent as a
:class:`SentMessage`. Tests wait for asynchronous work with :meth:`wait_until` /
:meth:`wait_for_message` rather than sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import aiohttp
from aiogram.types import Update
from aiohttp import web

from vpnsales.testing.emulators.base import EmulatorServer

DEFAULT_TOKEN = "123456789:AAF-emulatorTestToken_abcdefghijklmnopq"
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,}$")
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendinvoice",
        "copymessage",
        "forwardmessage",
    }
)
"""Methods that create a message in a chat and count against the send limits."""

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


# ------------------------------------------------------------------------------------
# public records
# ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TgUser:
    """A Telegram user the tests impersonate."""

    id: int
    first_name: str = "Test"
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "ru"
    is_premium: bool | None = None
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request as the emulator understood it (the token is not kept)."""

    method: str
    """As sent (``sendMessage``); compare case-insensitively if unsure."""
    params: Mapping[str, Any]
    """Decoded parameters: JSON strings already parsed into dicts/lists/numbers."""
    files: Mapping[str, UploadedFile]
    at: float
    """``time.monotonic()`` on arrival."""
    status: int = 200
    description: str | None = None
    """The error description when ``status != 200``."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot created (send*, copy, forward)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    """Text or caption exactly as sent (markup included)."""
    plain_text: str | None
    """What the user sees: HTML tags removed and entities unescaped."""
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    message_thread_id: int | None
    photo: bytes | None
    document: bytes | None
    at: float
    """``time.monotonic()`` on arrival."""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, flattened row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]


class PreCheckoutAnswer(NamedTuple):
    """How the bot answered a pre-checkout query (unpacks as ``ok, error_message, at``)."""

    ok: bool
    error_message: str | None
    at: float


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None
    at: float


@dataclass(slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None = field(default=None, repr=False)
    allowed_updates: list[str] | None = None
    max_connections: int = 40


@dataclass(frozen=True, slots=True)
class Delivery:
    update_id: int
    url: str
    status: int
    at: float


@dataclass(slots=True)
class StarCharge:
    charge_id: str
    user_id: int
    amount: int
    payload: str
    date: int
    refunded_at: int | None = None
    subscription_period: int | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    url: str
    title: str
    description: str
    payload: str
    currency: str
    amount: int
    subscription_period: int | None
    params: Mapping[str, Any]


@dataclass(slots=True)
class _Topic:
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False


@dataclass(slots=True)
class _Chat:
    id: int
    type: str
    title: str | None = None
    user: TgUser | None = None
    username: str | None = None
    is_forum: bool = False
    blocked: bool = False
    deactivated: bool = False
    next_message_id: int = 1
    topics: dict[int, _Topic] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        if self.title is not None:
            data["title"] = self.title
        if self.username is not None and self.user is None:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


class ApiError(Exception):
    """Raised by method handlers; becomes Telegram's ``{ok: false}`` envelope."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ------------------------------------------------------------------------------------
# request decoding
# ------------------------------------------------------------------------------------


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Any]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise _bad("invalid multipart body")
    boundary = b"--" + match.group(1).encode()
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        chunk = chunk.removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name_match = re.search(r'(?<![a-z*])name="([^"]*)"', disposition)
        if name_match is None:
            continue
        name = name_match.group(1)
        filename_match = re.search(r'filename="([^"]*)"', disposition)
        if filename_match is not None:
            files[name] = UploadedFile(
                name, filename_match.group(1), headers.get("content-type"), data
            )
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


def _decode_value(value: Any) -> Any:
    """Form values are strings; nested objects arrive as JSON strings."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "[") or stripped in ("true", "false", "null"):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _decode_request(
    body: bytes, content_type: str, query: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    raw: dict[str, Any] = dict(query)
    files: dict[str, UploadedFile] = {}
    ctype = content_type.lower()
    if ctype.startswith("multipart/form-data"):
        fields, files = _parse_multipart(body, content_type)
        raw.update(fields)
    elif ctype.startswith("application/json"):
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise _bad("can't parse JSON object") from exc
            if not isinstance(data, dict):
                raise _bad("can't parse JSON object")
            raw.update(data)
    elif body:
        raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {key: _decode_value(value) for key, value in raw.items()}, files


class _Params:
    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile], at: float) -> None:
        self.values = values
        self.files = files
        self.at = at
        """``time.monotonic()`` when the request arrived."""

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def req_string(self, name: str) -> str:
        value = self.string(name)
        if value is None or value == "":
            raise _bad(f"parameter {name!r} is required")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise _bad(f"parameter {name!r} must be an integer")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise _bad(f"parameter {name!r} must be an integer") from exc

    def req_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise _bad(f"parameter {name!r} is required")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def obj(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError as exc:
                raise _bad(f"can't parse {name} JSON object") from exc
        return value

    def file(self, name: str) -> tuple[bytes | None, str | None, str | None]:
        """``(bytes, file_id_or_url, filename)`` of an InputFile parameter."""
        if name in self.files:
            upload = self.files[name]
            return upload.data, None, upload.filename
        value = self.string(name)
        if value is None or value == "":
            raise _bad(f"there is no {name} in the request")
        if value.startswith("attach://"):
            upload_or_none = self.files.get(value.removeprefix("attach://"))
            if upload_or_none is None:
                raise _bad(f"wrong remote file identifier specified: can't find {value}")
            return upload_or_none.data, None, upload_or_none.filename
        return None, value, None


# ------------------------------------------------------------------------------------
# HTML parse mode
# ------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.utf16_pos = 0
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is None and tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append((tag, self.utf16_pos, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.error is not None:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.error = f'Unexpected end tag "{tag}"'
            return
        _, start, attrs = self.stack.pop()
        length = self.utf16_pos - start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": _HTML_TAGS[tag], "offset": start, "length": length}
        if tag == "a":
            entity["url"] = attrs.get("href") or ""
        if tag == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.utf16_pos += _utf16_len(data)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: plain text and entities, or ``ApiError`` 400."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"'
    if parser.error is not None:
        raise _bad(f"can't parse entities: {parser.error}")
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


# ------------------------------------------------------------------------------------
# the emulator
# ------------------------------------------------------------------------------------

MethodHandler = Callable[[_Params], Awaitable[Any]]


@dataclass(repr=False)
class TelegramEmulator(EmulatorServer):
    """The Telegram Bot API, in process. See the module docstring."""

    token: str = field(default=DEFAULT_TOKEN, repr=False)
    extra_tokens: tuple[str, ...] = field(default=(), repr=False)
    bot_username: str = "vpnsales_test_bot"
    bot_first_name: str = "VPN Sales Test"
    auto_register_chats: bool = False
    enforce_limits: bool = False
    """Answer 429 when the bot exceeds the limits below (proves a sender respects them)."""
    per_chat_rate: float = 1.0
    """Messages per second to one chat."""
    global_rate: int = 30
    """Messages per second overall (sliding one-second window)."""
    group_rate_per_minute: int = 20
    """Messages per minute to one group chat (negative chat id)."""
    limit_tolerance: float = 0.05
    """Seconds of jitter forgiven on the per-chat interval."""
    pre_checkout_timeout: float = 10.0

    # state (not constructor arguments)
    api_calls: list[ApiCall] = field(default_factory=list, init=False, repr=False)
    sent: list[SentMessage] = field(default_factory=list, init=False, repr=False)
    webhook: WebhookConfig | None = field(default=None, init=False)
    deliveries: list[Delivery] = field(default_factory=list, init=False, repr=False)
    invoice_links: dict[str, InvoiceLink] = field(default_factory=dict, init=False, repr=False)
    charges: dict[str, StarCharge] = field(default_factory=dict, init=False, repr=False)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=dict, init=False, repr=False
    )
    callback_answers: dict[str, CallbackAnswer] = field(default_factory=dict, init=False)
    pre_checkout_answers: dict[str, PreCheckoutAnswer] = field(default_factory=dict, init=False)
    throttled: int = field(default=0, init=False)
    """How many 429s were answered (injected or enforced)."""

    def __post_init__(self) -> None:
        for token in (self.token, *self.extra_tokens):
            if not TOKEN_RE.match(token):
                raise ValueError("emulator token does not look like a Telegram bot token")
        self._tokens = frozenset((self.token, *self.extra_tokens))
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._files: dict[str, bytes] = {}
        self._next_update_id = 100_000
        self._update_json: dict[int, dict[str, Any]] = {}
        self._queue: deque[dict[str, Any]] = deque()
        self._callbacks_pending: dict[str, float] = {}
        self._pre_checkouts_pending: dict[str, float] = {}
        self._chat_sends: dict[int, deque[float]] = defaultdict(deque)
        self._global_sends: deque[float] = deque()
        self._changed = asyncio.Event()
        self._handlers: dict[str, MethodHandler] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                "getMe",
                "logOut",
                "close",
                "sendMessage",
                "sendPhoto",
                "sendDocument",
                "sendInvoice",
                "createInvoiceLink",
                "copyMessage",
                "forwardMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "editMessageCaption",
                "deleteMessage",
                "answerCallbackQuery",
                "answerPreCheckoutQuery",
                "refundStarPayment",
                "getStarTransactions",
                "editUserStarSubscription",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "getUpdates",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "setMyDescription",
                "setMyShortDescription",
                "setMyName",
                "setChatMenuButton",
                "sendChatAction",
                "getChat",
                "createForumTopic",
                "closeForumTopic",
                "reopenForumTopic",
                "editForumTopic",
                "deleteForumTopic",
            )
        }

    def __repr__(self) -> str:
        # the recorded calls carry the token in their paths: never show them
        where = f"{self.host}:{self.port}" if self._site is not None else "stopped"
        return f"TelegramEmulator({where}, bot=@{self.bot_username})"

    # -- identity --------------------------------------------------------------------
    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # -- chats -----------------------------------------------------------------------
    def add_user(
        self,
        user_id: int | TgUser,
        first_name: str = "Test",
        *,
        username: str | None = None,
        language_code: str | None = "ru",
        last_name: str | None = None,
        is_premium: bool | None = None,
    ) -> TgUser:
        """Register a user who has started the bot (their private chat exists)."""
        if isinstance(user_id, TgUser):
            user = user_id
        else:
            user = TgUser(
                user_id,
                first_name,
                username=username,
                last_name=last_name,
                language_code=language_code,
                is_premium=is_premium,
            )
        chat = self._chats.get(user.id)
        if chat is None:
            self._chats[user.id] = _Chat(user.id, "private", user=user)
        else:
            chat.user = user
        return user

    def add_group(
        self,
        chat_id: int,
        title: str = "Test group",
        *,
        supergroup: bool = True,
        is_forum: bool = False,
        username: str | None = None,
    ) -> int:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if supergroup or is_forum else "group"
        self._chats[chat_id] = _Chat(
            chat_id, kind, title=title, is_forum=is_forum, username=username
        )
        return chat_id

    def add_channel(
        self, chat_id: int, title: str = "Test channel", username: str | None = None
    ) -> int:
        self._chats[chat_id] = _Chat(chat_id, "channel", title=title, username=username)
        return chat_id

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: sending gives 403 ``bot was blocked by the user``."""
        self._require_chat(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        self._require_chat(chat_id).blocked = False

    def deactivate_chat(self, chat_id: int) -> None:
        """The account was deleted: sending gives 403 ``user is deactivated``."""
        self._require_chat(chat_id).deactivated = True

    def remove_chat(self, chat_id: int) -> None:
        """Forget the chat: sending gives 400 ``chat not found``."""
        self._chats.pop(chat_id, None)

    def _require_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                return self._chats.setdefault(
                    chat_id, _Chat(chat_id, "private", user=TgUser(chat_id))
                )
            raise LookupError(f"group {chat_id} is unknown to the emulator: add_group() it first")
        return chat

    def _user(self, user: TgUser | int) -> TgUser:
        if isinstance(user, TgUser):
            known = self._chats.get(user.id)
            if known is None or known.user != user:
                self.add_user(user)
            return user
        chat = self._chats.get(user)
        if chat is not None and chat.user is not None:
            return chat.user
        return self.add_user(user)

    # -- inspection ------------------------------------------------------------------
    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

    def last_message(self, chat_id: int) -> SentMessage:
        messages = self.sent_messages(chat_id)
        if not messages:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits) as Telegram JSON, or ``None``."""
        return self._messages.get((chat_id, message_id))

    def calls_of(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [c for c in self.api_calls if c.method.lower() == wanted]

    def answered_pre_checkout(self, query_id: str) -> PreCheckoutAnswer | None:
        return self.pre_checkout_answers.get(query_id)

    def answered_callback(self, query_id: str) -> CallbackAnswer | None:
        return self.callback_answers.get(query_id)

    def topic(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        chat = self._chats.get(chat_id)
        topic = chat.topics.get(thread_id) if chat else None
        if topic is None:
            return None
        return {"name": topic.name, "icon_color": topic.icon_color, "closed": topic.closed}

    def send_rates(self, window: float = 1.0) -> tuple[int, dict[int, float]]:
        """``(max messages in any ``window`` seconds overall, min interval per chat)``."""
        ok = [m for m in self.sent if m.method.lower() in SEND_METHODS]
        times = sorted(m.at for m in ok)
        peak, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            peak = max(peak, end - start + 1)
        per_chat: dict[int, list[float]] = defaultdict(list)
        for m in ok:
            per_chat[m.chat_id].append(m.at)
        intervals = {
            chat: min(
                (b - a for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)), default=math.inf
            )
            for chat, ts in per_chat.items()
        }
        return peak, intervals

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition()`` holds; it is re-checked after every Bot API call or
        delivery (and every 50 ms, for conditions on state outside the emulator)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("condition not reached on the Telegram emulator")
            self._changed.clear()
            if condition():
                return
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                continue

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 5.0,
    ) -> SentMessage:
        """The first message to ``chat_id`` (from index ``after`` of that chat's list)."""

        def found() -> SentMessage | None:
            for m in self.sent_messages(chat_id)[after:]:
                if predicate is None or predicate(m):
                    return m
            return None

        await self.wait_until(lambda: found() is not None, timeout)
        result = found()
        assert result is not None
        return result

    def _notify(self) -> None:
        self._changed.set()

    # -- update builders -------------------------------------------------------------
    def _update(self, payload: dict[str, Any]) -> Update:
        self._next_update_id += 1
        data = {"update_id": self._next_update_id, **payload}
        self._update_json[self._next_update_id] = data
        return Update.model_validate(data)

    def update_json(self, update: Update | dict[str, Any]) -> dict[str, Any]:
        """The JSON Telegram would send for an update built here."""
        if isinstance(update, dict):
            return update
        stored = self._update_json.get(update.update_id)
        if stored is not None:
            return stored
        return update.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _store_incoming(
        self, chat: _Chat, sender: TgUser, thread_id: int | None = None, **content: Any
    ) -> dict[str, Any]:
        return self._store(chat, sender.to_json(), thread_id, content)

    def _store(
        self, chat: _Chat, sender: dict[str, Any], thread_id: int | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        """A new message in ``chat`` (the next id), kept for edits and look-ups."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": self._now(),
        }
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        msg.update(content)
        self._messages[(chat.id, message_id)] = msg
        return msg

    @staticmethod
    def _text_content(text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return content

    def text_message(self, user: TgUser | int, text: str, *, chat_id: int | None = None) -> Update:
        """A text (or ``/command``) message from a user, in private chat by default."""
        sender = self._user(user)
        chat = self._require_chat(sender.id if chat_id is None else chat_id)
        return self._update(
            {"message": self._store_incoming(chat, sender, **self._text_content(text))}
        )

    def command(self, user: TgUser | int, command: str, args: str = "") -> Update:
        text = "/" + command.lstrip("/") + (f" {args}" if args else "")
        return self.text_message(user, text)

    def topic_message(
        self, chat_id: int, user: TgUser | int, text: str, *, thread_id: int
    ) -> Update:
        """A message in a forum topic of a supergroup."""
        sender = self._user(user)
        chat = self._chats.get(chat_id)
        if chat is None:
            self.add_group(chat_id, is_forum=True)
            chat = self._chats[chat_id]
        if thread_id not in chat.topics:
            chat.topics[thread_id] = _Topic(thread_id, f"Topic {thread_id}", 0x6FB9F0)
        msg = self._store_incoming(chat, sender, thread_id=thread_id, **self._text_content(text))
        return self._update({"message": msg})

    def callback_query(
        self,
        user: TgUser | int,
        data: str,
        *,
        message: SentMessage | dict[str, Any] | int | None = None,
        chat_id: int | None = None,
    ) -> Update:
        """A button press on a message the bot sent (default: the last one to the user)."""
        sender = self._user(user)
        target_chat = chat_id if chat_id is not None else sender.id
        if message is None:
            message = self.last_message(target_chat)
        if isinstance(message, SentMessage):
            key = (message.chat_id, message.message_id)
        elif isinstance(message, int):
            key = (target_chat, message)
        else:
            key = (int(message["chat"]["id"]), int(message["message_id"]))
        stored = self._messages.get(key)
        if stored is None:
            raise LookupError(f"message {key[1]} in chat {key[0]} is unknown to the emulator")
        query_id = str(secrets.randbits(63))
        self._callbacks_pending[query_id] = time.monotonic()
        return self._update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender.to_json(),
                    "message": stored,
                    "chat_instance": str(abs(hash(key[0])) % 10**18),
                    "data": data,
                }
            }
        )

    def pre_checkout_query(
        self,
        user: TgUser | int,
        *,
        total_amount: int,
        invoice_payload: str,
        currency: str = "XTR",
    ) -> Update:
        sender = self._user(user)
        query_id = str(secrets.randbits(63))
        self._pre_checkouts_pending[query_id] = time.monotonic()
        return self._update(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": sender.to_json(),
                    "currency": currency,
                    "total_amount": total_amount,
                    "invoice_payload": invoice_payload,
                }
            }
        )

    def successful_payment(
        self,
        user: TgUser | int,
        *,
        total_amount: int,
        invoice_payload: str,
        currency: str = "XTR",
        telegram_payment_charge_id: str | None = None,
        subscription_period: int | None = None,
        is_first_recurring: bool | None = None,
    ) -> Update:
        """A ``successful_payment`` service message; also books the Stars charge so that
        ``refundStarPayment`` and ``getStarTransactions`` know it."""
        sender = self._user(user)
        charge_id = telegram_payment_charge_id or f"stxEmu{secrets.token_hex(12)}"
        payment: dict[str, Any] = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": invoice_payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        if subscription_period is not None:
            payment["subscription_expiration_date"] = self._now() + subscription_period
            payment["is_recurring"] = True
            payment["is_first_recurring"] = (
                True if is_first_recurring is None else is_first_recurring
            )
        if currency == "XTR" and charge_id not in self.charges:
            self.charges[charge_id] = StarCharge(
                charge_id,
                sender.id,
                total_amount,
                invoice_payload,
                self._now(),
                subscription_period=subscription_period,
            )
        chat = self._require_chat(sender.id)
        return self._update(
            {"message": self._store_incoming(chat, sender, successful_payment=payment)}
        )

    def refunded_payment(self, user: TgUser | int, telegram_payment_charge_id: str) -> Update:
        """The ``refunded_payment`` service message for a charge booked here."""
        sender = self._user(user)
        charge = self.charges.get(telegram_payment_charge_id)
        if charge is None:
            raise LookupError("unknown telegram_payment_charge_id")
        refunded = {
            "currency": "XTR",
            "total_amount": charge.amount,
            "invoice_payload": charge.payload,
            "telegram_payment_charge_id": charge.charge_id,
        }
        chat = self._require_chat(sender.id)
        return self._update(
            {"message": self._store_incoming(chat, sender, refunded_payment=refunded)}
        )

    # -- polling and webhook delivery ------------------------------------------------
    def enqueue(self, update: Update | dict[str, Any]) -> None:
        """Make an update available to ``getUpdates``."""
        self._queue.append(self.update_json(update))
        self._notify()

    async def deliver(
        self,
        update: Update | dict[str, Any],
        url: str | None = None,
        secret_token: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> int:
        """POST an update to a webhook as Telegram does; returns the HTTP status.

        ``url``/``secret_token`` default to what the bot registered with ``setWebhook``.
        When the webhook answers with a method (aiogram's ``handle_in_background=False``),
        the method is executed as if the bot had called it.
        """
        if url is None:
            if self.webhook is None:
                raise RuntimeError("no webhook is set and no url was given")
            url = self.webhook.url
            if secret_token is None:
                secret_token = self.webhook.secret_token
        payload = self.update_json(update)
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers[SECRET_HEADER] = secret_token
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(url, data=json.dumps(payload), headers=headers) as response,
        ):
            body = await response.read()
            status = response.status
            content_type = response.headers.get("Content-Type", "")
        self.deliveries.append(Delivery(int(payload["update_id"]), url, status, time.monotonic()))
        if status == 200 and body:
            await self._execute_webhook_reply(body, content_type)
        self._notify()
        return status

    async def _execute_webhook_reply(self, body: bytes, content_type: str) -> None:
        try:
            values, files = _decode_request(body, content_type, {})
        except ApiError:
            return
        method = values.pop("method", None)
        if not isinstance(method, str):
            return
        await self._call(method, _Params(values, files, time.monotonic()))

    # -- HTTP ------------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    def throttled_response(self) -> web.StreamResponse:
        self.throttled += 1
        return self._error_response(
            ApiError(
                429,
                f"Too Many Requests: retry after {self.faults.retry_after}",
                self.faults.retry_after,
            )
        )

    def failure_response(self) -> web.StreamResponse:
        status = self.faults.fail_status
        if self.faults.fail_body:
            return web.Response(status=status, body=self.faults.fail_body)
        description = "Internal Server Error" if status >= 500 else "Bad Request"
        return self._error_response(ApiError(status, description))

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        self._notify()  # the call is in ``calls`` already: wake condition waiters
        if request.match_info["token"] not in self._tokens:
            self._notify()
            return self._error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            values, files = _decode_request(
                await request.read(), request.headers.get("Content-Type", ""), request.query
            )
        except ApiError as exc:
            return self._error_response(exc)
        status, result, error = await self._call(method, _Params(values, files, at))
        if error is not None:
            return self._error_response(error)
        return web.json_response({"ok": True, "result": result}, status=status)

    async def _call(self, method: str, params: _Params) -> tuple[int, Any, ApiError | None]:
        handler = self._handlers.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as exc:
            if exc.status == 429:
                self.throttled += 1
            self.api_calls.append(
                ApiCall(method, params.values, params.files, params.at, exc.status, exc.description)
            )
            self._notify()
            return exc.status, None, exc
        self.api_calls.append(ApiCall(method, params.values, params.files, params.at))
        self._notify()
        return 200, result, None

    # -- shared checks ---------------------------------------------------------------
    def _chat_for_send(self, params: _Params, name: str = "chat_id") -> _Chat:
        raw = params.values.get(name)
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat: _Chat | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError) as exc:
                raise _bad("chat not found") from exc
            chat = self._chats.get(chat_id)
            if chat is None and self.auto_register_chats:
                if chat_id <= 0:
                    self.add_group(chat_id)
                chat = self._require_chat(chat_id)
        if chat is None:
            raise _bad("chat not found")
        if chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.blocked:
            raise ApiError(
                403,
                "Forbidden: bot was blocked by the user"
                if chat.type == "private"
                else "Forbidden: bot was kicked from the group chat",
            )
        return chat

    def _thread(self, chat: _Chat, params: _Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id is None:
            return None
        topic = chat.topics.get(thread_id)
        if not chat.is_forum or topic is None:
            raise _bad("message thread not found")
        if topic.closed:
            raise _bad("TOPIC_CLOSED")
        return thread_id

    @staticmethod
    def _markup(params: _Params) -> dict[str, Any] | None:
        markup = params.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is not None:
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                        raise _bad("BUTTON_DATA_INVALID")
                    url = button.get("url")
                    if url is not None and not re.match(r"^(https?|tg)://", str(url)):
                        raise _bad("BUTTON_URL_INVALID")
        return markup

    @staticmethod
    def _rendered(
        text: str, params: _Params, entities_param: str = "entities"
    ) -> tuple[str, list[dict[str, Any]]]:
        parse_mode = (params.string("parse_mode") or "").lower()
        if parse_mode == "html":
            return parse_html(text)
        explicit = params.obj(entities_param)
        return text, list(explicit) if isinstance(explicit, list) else []

    def _check_rate(self, chat: _Chat, at: float) -> None:
        if not self.enforce_limits:
            return
        window = self._global_sends
        while window and at - window[0] >= 1.0:
            window.popleft()
        waits: list[float] = []
        if len(window) >= self.global_rate:
            waits.append(1.0 - (at - window[0]))
        history = self._chat_sends[chat.id]
        if history:
            interval = 1.0 / self.per_chat_rate
            elapsed = at - history[-1]
            if elapsed < interval - self.limit_tolerance:
                waits.append(interval - elapsed)
        if chat.id < 0 and chat.type != "channel":
            recent = [t for t in history if at - t < 60.0]
            if len(recent) >= self.group_rate_per_minute:
                waits.append(60.0 - (at - recent[0]))
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _book_send(self, chat: _Chat, at: float) -> None:
        self._global_sends.append(at)
        history = self._chat_sends[chat.id]
        history.append(at)
        while len(history) > 100:
            history.popleft()

    def _new_message(
        self,
        chat: _Chat,
        thread_id: int | None,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if markup is not None and "inline_keyboard" in markup:
            content = {**content, "reply_markup": {"inline_keyboard": markup["inline_keyboard"]}}
        return self._store(chat, self.bot_user(), thread_id, content)

    def _record_sent(
        self,
        method: str,
        chat: _Chat,
        msg: dict[str, Any],
        params: _Params,
        *,
        text: str | None,
        markup: dict[str, Any] | None,
        photo: bytes | None = None,
        document: bytes | None = None,
    ) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=int(msg["message_id"]),
                text=text,
                plain_text=msg.get("text", msg.get("caption")),
                reply_markup=markup,
                parse_mode=params.string("parse_mode"),
                message_thread_id=msg.get("message_thread_id"),
                photo=photo,
                document=document,
                at=params.at,
                params=dict(params.values),
            )
        )

    def _file_id(self, prefix: str, data: bytes) -> tuple[str, str]:
        file_id = f"{prefix}{secrets.token_urlsafe(24)}"
        self._files[file_id] = data
        return file_id, secrets.token_urlsafe(8)

    def _resolve_file(
        self, params: _Params, name: str
    ) -> tuple[bytes | None, str | None, str | None]:
        data, ref, filename = params.file(name)
        if data is None and ref is not None:
            if ref in self._files:
                data = self._files[ref]
            elif not ref.startswith(("http://", "https://")):
                raise _bad("wrong file identifier/HTTP URL specified")
        return data, ref, filename

    # -- methods: identity and settings ----------------------------------------------
    async def _m_getMe(self, params: _Params) -> Any:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logOut(self, params: _Params) -> Any:
        return True

    async def _m_close(self, params: _Params) -> Any:
        return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.obj("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.string("language_code") or ""

    async def _m_setMyCommands(self, params: _Params) -> Any:
        commands = params.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad(
                "BOT_COMMANDS_TOO_MUCH"
                if isinstance(commands, list)
                else "commands must be an array"
            )
        for command in commands:
            name = str(command.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _m_getMyCommands(self, params: _Params) -> Any:
        return self.commands.get(self._commands_key(params), [])

    async def _m_deleteMyCommands(self, params: _Params) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _m_setMyDescription(self, params: _Params) -> Any:
        return True

    async def _m_setMyShortDescription(self, params: _Params) -> Any:
        return True

    async def _m_setMyName(self, params: _Params) -> Any:
        return True

    async def _m_setChatMenuButton(self, params: _Params) -> Any:
        return True

    async def _m_sendChatAction(self, params: _Params) -> Any:
        self._chat_for_send(params)
        return True

    async def _m_getChat(self, params: _Params) -> Any:
        chat_or_none = self._chats.get(params.req_integer("chat_id"))
        if chat_or_none is None:
            raise _bad("chat not found")
        chat = chat_or_none
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    # -- methods: sending ------------------------------------------------------------
    async def _m_sendMessage(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        text = params.string("text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        plain, entities = self._rendered(text, params)
        if len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        markup = self._markup(params)
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        msg = self._new_message(chat, thread_id, content, markup)
        self._book_send(chat, params.at)
        self._record_sent("sendMessage", chat, msg, params, text=text, markup=markup)
        return msg

    def _caption(self, params: _Params) -> tuple[str | None, dict[str, Any]]:
        caption = params.string("caption")
        if caption is None or caption == "":
            return None, {}
        plain, entities = self._rendered(caption, params, "caption_entities")
        if len(plain) > MAX_CAPTION:
            raise _bad("message caption is too long")
        content: dict[str, Any] = {"caption": plain}
        if entities:
            content["caption_entities"] = entities
        return caption, content

    async def _m_sendPhoto(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        data, ref, _ = self._resolve_file(params, "photo")
        if data is not None and not data.startswith(_IMAGE_MAGIC):
            raise _bad("IMAGE_PROCESS_FAILED")
        caption, content = self._caption(params)
        markup = self._markup(params)
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        width, height = 512, 512
        if data is not None and data.startswith(b"\x89PNG") and len(data) >= 24:
            width = int.from_bytes(data[16:20], "big")
            height = int.from_bytes(data[20:24], "big")
        file_id, unique = self._file_id("AgACAgIAAxkDAAI", data or b"")
        scale = 90 / max(width, height, 1)
        content["photo"] = [
            {
                "file_id": file_id + "-s",
                "file_unique_id": unique + "s",
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": max(1, len(data or b"") // 10),
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": width,
                "height": height,
                "file_size": len(data or b""),
            },
        ]
        if ref is not None and data is None:
            content["photo"][1]["file_id"] = ref
        msg = self._new_message(chat, thread_id, content, markup)
        self._book_send(chat, params.at)
        self._record_sent("sendPhoto", chat, msg, params, text=caption, markup=markup, photo=data)
        return msg

    async def _m_sendDocument(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        data, ref, filename = self._resolve_file(params, "document")
        caption, content = self._caption(params)
        markup = self._markup(params)
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        file_id, unique = self._file_id("BQACAgIAAxkDAAI", data or b"")
        document: dict[str, Any] = {
            "file_id": ref if data is None and ref else file_id,
            "file_unique_id": unique,
            "file_size": len(data or b""),
        }
        if filename:
            document["file_name"] = filename
        content["document"] = document
        msg = self._new_message(chat, thread_id, content, markup)
        self._book_send(chat, params.at)
        self._record_sent(
            "sendDocument", chat, msg, params, text=caption, markup=markup, document=data
        )
        return msg

    def _invoice(self, params: _Params, *, link: bool) -> tuple[dict[str, Any], int]:
        title = params.req_string("title")
        description = params.req_string("description")
        payload = params.req_string("payload")
        currency = params.req_string("currency")
        if not 1 <= len(title) <= 32:
            raise _bad("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise _bad("INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID")
        prices = params.obj("prices")
        if not isinstance(prices, list) or not prices:
            raise _bad("can't parse prices JSON object")
        amounts: list[int] = []
        for price in prices:
            amount = price.get("amount") if isinstance(price, dict) else None
            if not isinstance(amount, int) or isinstance(amount, bool) or not price.get("label"):
                raise _bad("can't parse prices JSON object")
            amounts.append(amount)
        total = sum(amounts)
        if currency == "XTR":
            if params.has("provider_token"):
                raise _bad("PROVIDER_TOKEN_INVALID: Stars invoices take no provider token")
            if len(prices) != 1:
                raise _bad("STARS_INVOICE_INVALID: exactly one price is allowed")
            if total < 1:
                raise _bad("STARS_INVOICE_INVALID: amount must be positive")
        elif not params.has("provider_token"):
            raise _bad("PAYMENT_PROVIDER_INVALID")
        period = params.integer("subscription_period")
        if period is not None:
            if not link:
                raise _bad("subscription_period is supported only in createInvoiceLink")
            if currency != "XTR" or period != 2_592_000 or total > 10_000:
                raise _bad("SUBSCRIPTION_PERIOD_INVALID")
        invoice = {
            "title": title,
            "description": description,
            "start_parameter": params.string("start_parameter") or "",
            "currency": currency,
            "total_amount": total,
        }
        return invoice, total

    async def _m_sendInvoice(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        invoice, _ = self._invoice(params, link=False)
        markup = self._markup(params)
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        msg = self._new_message(chat, thread_id, {"invoice": invoice}, markup)
        self._book_send(chat, params.at)
        self._record_sent("sendInvoice", chat, msg, params, text=invoice["title"], markup=markup)
        return msg

    async def _m_createInvoiceLink(self, params: _Params) -> Any:
        invoice, total = self._invoice(params, link=True)
        url = f"https://t.me/$emu{secrets.token_urlsafe(12)}"
        self.invoice_links[url] = InvoiceLink(
            url=url,
            title=invoice["title"],
            description=invoice["description"],
            payload=params.req_string("payload"),
            currency=invoice["currency"],
            amount=total,
            subscription_period=params.integer("subscription_period"),
            params=dict(params.values),
        )
        return url

    def _source_message(self, params: _Params, what: str) -> dict[str, Any]:
        try:
            from_chat = int(params.values["from_chat_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad("chat not found") from exc
        source = self._messages.get((from_chat, params.req_integer("message_id")))
        if source is None:
            raise _bad(f"message to {what} not found")
        return source

    async def _m_copyMessage(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        source = self._source_message(params, "copy")
        markup = self._markup(params)
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        content = {
            k: v
            for k, v in source.items()
            if k in ("text", "entities", "caption", "caption_entities", "photo", "document")
        }
        caption, caption_content = self._caption(params)
        if caption is not None:
            content.update(caption_content)
        msg = self._new_message(chat, thread_id, content, markup)
        self._book_send(chat, params.at)
        self._record_sent(
            "copyMessage",
            chat,
            msg,
            params,
            text=caption if caption is not None else content.get("text", content.get("caption")),
            markup=markup,
        )
        return {"message_id": msg["message_id"]}

    async def _m_forwardMessage(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        source = self._source_message(params, "forward")
        thread_id = self._thread(chat, params)
        self._check_rate(chat, params.at)
        content = {
            k: v
            for k, v in source.items()
            if k in ("text", "entities", "caption", "caption_entities", "photo", "document")
        }
        content["forward_origin"] = {
            "type": "user",
            "date": source["date"],
            "sender_user": source["from"],
        }
        msg = self._new_message(chat, thread_id, content, None)
        self._book_send(chat, params.at)
        self._record_sent(
            "forwardMessage",
            chat,
            msg,
            params,
            text=content.get("text", content.get("caption")),
            markup=None,
        )
        return msg

    # -- methods: editing ------------------------------------------------------------
    def _editable(self, params: _Params) -> tuple[dict[str, Any] | None, _Chat | None]:
        if params.has("inline_message_id"):
            return None, None
        chat = self._chat_for_send(params)
        msg = self._messages.get((chat.id, params.req_integer("message_id")))
        if msg is None:
            raise _bad("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return msg, chat

    def _finish_edit(self, msg: dict[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
        if {k: msg.get(k) for k in updated} == updated:
            raise _bad(_NOT_MODIFIED[len("Bad Request: ") :])
        for key, value in updated.items():
            if value is None:
                msg.pop(key, None)
            else:
                msg[key] = value
        msg["edit_date"] = self._now()
        self._notify()
        return msg

    @staticmethod
    def _echo_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
        if markup is None or "inline_keyboard" not in markup:
            return None
        return {"inline_keyboard": markup["inline_keyboard"]}

    async def _m_editMessageText(self, params: _Params) -> Any:
        text = params.string("text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        plain, entities = self._rendered(text, params)
        if len(plain) > MAX_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        markup = self._markup(params)
        msg, _ = self._editable(params)
        if msg is None:
            return True
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        return self._finish_edit(
            msg,
            {
                "text": plain,
                "entities": entities or None,
                "reply_markup": self._echo_markup(markup),
            },
        )

    async def _m_editMessageCaption(self, params: _Params) -> Any:
        _, content = self._caption(params)
        markup = self._markup(params)
        msg, _ = self._editable(params)
        if msg is None:
            return True
        if not any(k in msg for k in ("photo", "document", "video", "animation", "audio")):
            raise _bad("there is no caption in the message to edit")
        return self._finish_edit(
            msg,
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
                "reply_markup": self._echo_markup(markup),
            },
        )

    async def _m_editMessageReplyMarkup(self, params: _Params) -> Any:
        markup = self._markup(params)
        msg, _ = self._editable(params)
        if msg is None:
            return True
        return self._finish_edit(msg, {"reply_markup": self._echo_markup(markup)})

    async def _m_deleteMessage(self, params: _Params) -> Any:
        chat = self._chat_for_send(params)
        key = (chat.id, params.req_integer("message_id"))
        if self._messages.pop(key, None) is None:
            raise _bad("message to delete not found")
        return True

    # -- methods: callbacks and payments ---------------------------------------------
    async def _m_answerCallbackQuery(self, params: _Params) -> Any:
        query_id = params.req_string("callback_query_id")
        if self._callbacks_pending.pop(query_id, None) is None:
            raise _bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.string("text")
        if text is not None and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = CallbackAnswer(
            text, params.flag("show_alert"), params.string("url"), params.at
        )
        return True

    async def _m_answerPreCheckoutQuery(self, params: _Params) -> Any:
        query_id = params.req_string("pre_checkout_query_id")
        if "ok" not in params.values:
            raise _bad("parameter 'ok' is required")
        ok = params.flag("ok")
        error_message = params.string("error_message")
        if not ok and not error_message:
            raise _bad("PRE_CHECKOUT_QUERY_ERROR_MESSAGE_EMPTY")
        created = self._pre_checkouts_pending.pop(query_id, None)
        if created is None or params.at - created > self.pre_checkout_timeout:
            raise _bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        self.pre_checkout_answers[query_id] = PreCheckoutAnswer(ok, error_message, params.at)
        return True

    async def _m_refundStarPayment(self, params: _Params) -> Any:
        user_id = params.req_integer("user_id")
        charge = self.charges.get(params.req_string("telegram_payment_charge_id"))
        if charge is None:
            raise _bad("CHARGE_ID_INVALID")
        if charge.user_id != user_id:
            raise _bad("USER_ID_INVALID")
        if charge.refunded_at is not None:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        charge.refunded_at = self._now()
        return True

    async def _m_editUserStarSubscription(self, params: _Params) -> Any:
        user_id = params.req_integer("user_id")
        charge = self.charges.get(params.req_string("telegram_payment_charge_id"))
        if charge is None or charge.user_id != user_id or charge.subscription_period is None:
            raise _bad("CHARGE_ID_INVALID")
        return True

    async def _m_getStarTransactions(self, params: _Params) -> Any:
        offset = params.integer("offset", 0) or 0
        limit = params.integer("limit", 100) or 100
        transactions: list[dict[str, Any]] = []
        for charge in self.charges.values():
            user = self._chats[charge.user_id].user if charge.user_id in self._chats else None
            partner: dict[str, Any] = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": (user or TgUser(charge.user_id)).to_json(),
                "invoice_payload": charge.payload,
            }
            if charge.subscription_period is not None:
                partner["subscription_period"] = charge.subscription_period
            transactions.append(
                {
                    "id": charge.charge_id,
                    "amount": charge.amount,
                    "date": charge.date,
                    "source": partner,
                }
            )
            if charge.refunded_at is not None:
                transactions.append(
                    {
                        "id": charge.charge_id,
                        "amount": charge.amount,
                        "date": charge.refunded_at,
                        "receiver": partner,
                    }
                )
        return {"transactions": transactions[offset : offset + limit]}

    # -- methods: webhook and polling ------------------------------------------------
    async def _m_setWebhook(self, params: _Params) -> Any:
        url = params.string("url") or ""
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("https://", "http://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("bad webhook: secret token contains unallowed characters")
        allowed = params.obj("allowed_updates")
        self.webhook = WebhookConfig(
            url,
            secret,
            list(allowed) if isinstance(allowed, list) else None,
            params.integer("max_connections", 40) or 40,
        )
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _m_deleteWebhook(self, params: _Params) -> Any:
        self.webhook = None
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _m_getWebhookInfo(self, params: _Params) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _m_getUpdates(self, params: _Params) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset")
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = min(float(params.integer("timeout", 0) or 0), 50.0)
        if offset is not None:
            while self._queue and int(self._queue[0]["update_id"]) < offset:
                self._queue.popleft()
        if not self._queue and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: bool(self._queue), timeout)
        allowed = params.obj("allowed_updates")
        updates = list(self._queue)[:limit]
        if isinstance(allowed, list) and allowed:
            updates = [u for u in updates if any(k in u for k in allowed)]
        return updates

    # -- methods: forum topics -------------------------------------------------------
    def _forum(self, params: _Params) -> _Chat:
        chat = self._chat_for_send(params)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        return chat

    def _topic_of(self, chat: _Chat, params: _Params) -> _Topic:
        topic = chat.topics.get(params.req_integer("message_thread_id"))
        if topic is None:
            raise _bad("TOPIC_ID_INVALID")
        return topic

    async def _m_createForumTopic(self, params: _Params) -> Any:
        chat = self._forum(params)
        name = params.req_string("name")
        if not 1 <= len(name) <= 128:
            raise _bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_INVALID")
        icon_color = params.integer("icon_color", 0x6FB9F0) or 0x6FB9F0
        service = self._new_message(
            chat, None, {"forum_topic_created": {"name": name, "icon_color": icon_color}}, None
        )
        thread_id = int(service["message_id"])
        service["message_thread_id"] = thread_id
        chat.topics[thread_id] = _Topic(thread_id, name, icon_color)
        result: dict[str, Any] = {
            "message_thread_id": thread_id,
            "name": name,
            "icon_color": icon_color,
        }
        if params.has("icon_custom_emoji_id"):
            result["icon_custom_emoji_id"] = params.string("icon_custom_emoji_id")
        return result

    async def _m_closeForumTopic(self, params: _Params) -> Any:
        topic = self._topic_of(self._forum(params), params)
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    async def _m_reopenForumTopic(self, params: _Params) -> Any:
        topic = self._topic_of(self._forum(params), params)
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    async def _m_editForumTopic(self, params: _Params) -> Any:
        topic = self._topic_of(self._forum(params), params)
        name = params.string("name")
        if name is not None and name != "":
            if len(name) > 128:
                raise _bad("TOPIC_TITLE_INVALID")
            if name == topic.name:
                raise _bad("TOPIC_NOT_MODIFIED")
            topic.name = name
        return True

    async def _m_deleteForumTopic(self, params: _Params) -> Any:
        chat = self._forum(params)
        topic = self._topic_of(chat, params)
        del chat.topics[topic.thread_id]
        return True


__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "CallbackAnswer",
    "Delivery",
    "InvoiceLink",
    "PreCheckoutAnswer",
    "SentMessage",
    "StarCharge",
    "TelegramEmulator",
    "TgUser",
    "UploadedFile",
    "WebhookConfig",
    "parse_html",
]
