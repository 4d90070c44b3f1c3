"""Webhook handlers: authenticity first, then one use case, then a fast answer.

Per provider (shared/CONTRACTS.md §1, §3–§6):

* **YooKassa** signs nothing. The client address (the TCP peer, or ``X-Forwarded-For``
  only when the peer is a configured trusted proxy) must be in YooKassa's published
  ranges, *and* the payment is re-fetched with ``GET /payments/{id}``: only the fetched
  state is believed; the body merely says what to fetch. The fetch runs before any
  database work (no network call inside a transaction) under ``fetch_timeout``; when
  YooKassa cannot be asked we answer 503 and YooKassa redelivers (the worker's re-check
  job is the second net).
* **Crypto Pay** signs the raw body (HMAC-SHA256, key = SHA256(token), constant-time);
  the signature is checked on the raw bytes before parsing. The signed invoice is
  authentic, but the invoice is still re-fetched with ``getInvoices`` (one cheap call)
  and only the fetched state is applied: the same path as YooKassa and the re-check
  job, and a leaked API token alone does not let anyone credit a payment, because the
  API (not the body) must say ``paid``.
* **Telegram** (updates for the bot, Stars payments among them): the
  ``X-Telegram-Bot-Api-Secret-Token`` header, compared in constant time; an empty
  configured secret refuses everything (fail closed).
* **Remnawave**: ``X-Remnawave-Signature`` = hex HMAC-SHA256 of the raw body with the
  panel's webhook secret; the secret that verifies it names the panel.

Idempotency lives in the use cases: a payment moves ``pending → succeeded`` once under
``SELECT … FOR UPDATE`` (duplicates and replays change nothing), and the effects
(provisioning, notifications) are outbox rows committed in that same transaction; the
worker is kicked after the commit. No panel is called from here.

Every refusal is a security event (logged on ``vpnsales.security`` and counted in
``vpnsales_security_events_total``) and a ``vpnsales_webhook_refusals_total`` count.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from dishka.integrations.aiohttp import DISHKA_CONTAINER_KEY, FromDishka, inject
from pydantic import ValidationError

from vpnsales.adapters.panels.remnawave import verify_webhook_signature
from vpnsales.adapters.payments.webhooks import (
    MalformedWebhook,
    client_ip,
    is_yookassa_ip,
    parse_cryptopay_notice,
    parse_yookassa_notice,
    verify_cryptopay_signature,
)
from vpnsales.application.interactors.payments.apply_provider_payment import (
    ApplyProviderPayment,
    ApplyProviderPaymentCommand,
    ProviderPaymentEffect,
)
from vpnsales.application.interactors.system.apply_panel_event import ApplyPanelEvent
from vpnsales.application.ports.payments import (
    PaymentGateway,
    PaymentGatewayError,
    ProviderPayment,
    ProviderPaymentNotFound,
    ProviderStatus,
)
from vpnsales.application.ports.worker import PaymentGateways
from vpnsales.domain.errors import DomainError, NotFound
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.logs import log_context
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.web.remnawave import parse_remnawave_event
from vpnsales.entrypoints.web.state import STATE_KEY

__all__ = [
    "TelegramWebhook",
    "cryptopay_webhook",
    "remnawave_webhook",
    "yookassa_webhook",
]

logger = logging.getLogger("vpnsales.web")

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_CLAIMS_SUCCESS = frozenset({"payment.succeeded", "invoice_paid"})


# -- answers ---------------------------------------------------------------------------
def _metrics(request: web.Request) -> Metrics:
    return request.app[STATE_KEY].metrics


def _answer(request: web.Request, source: str, outcome: str, status: int = 200) -> web.Response:
    _metrics(request).webhook_requests.labels(source, outcome).inc()
    return web.Response(status=status, text="ok" if status == 200 else outcome)


def _refuse(
    request: web.Request, source: str, reason: str, status: int, **fields: object
) -> web.Response:
    """A delivery we do not act on for a security reason: logged and counted."""
    _metrics(request).webhook_refusals.labels(source, reason).inc()
    _metrics(request).security_event(
        "webhook_refused",
        source=source,
        reason=reason,
        status=status,
        peer=request.remote,
        **fields,
    )
    return _answer(request, source, f"refused_{reason}", status)


async def _read(request: web.Request, source: str) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        _metrics(request).webhook_refusals.labels(source, "too_large").inc()
        _metrics(request).webhook_requests.labels(source, "refused_too_large").inc()
        _metrics(request).security_event(
            "webhook_refused", source=source, reason="too_large", status=413, peer=request.remote
        )
        raise


# -- payments: fetch, then apply -------------------------------------------------------
async def _fetch(
    request: web.Request,
    source: str,
    gateway: PaymentGateway,
    provider_payment_id: str,
    event: str,
) -> ProviderPayment | web.Response:
    """The provider's own view of the payment, or the answer to give instead."""
    metrics = _metrics(request)
    timeout = request.app[STATE_KEY].config.fetch_timeout

    async def call() -> ProviderPayment:
        async with asyncio.timeout(timeout):
            return await gateway.fetch(provider_payment_id)

    try:
        fetched = await request.app[STATE_KEY].fetches.run(
            (source, provider_payment_id, event), call
        )
    except ProviderPaymentNotFound:
        metrics.provider_fetches.labels(source, "not_found").inc()
        # Nothing the provider knows: redelivery would not help, so 200.
        return _refuse(request, source, "unknown_at_provider", 200)
    except (PaymentGatewayError, TimeoutError) as exc:
        metrics.provider_fetches.labels(source, "unavailable").inc()
        logger.warning("%s: cannot re-fetch the payment (%s); asking for redelivery", source, exc)
        return _answer(request, source, "provider_unavailable", 503)
    metrics.provider_fetches.labels(source, "ok").inc()
    if fetched.provider_payment_id != provider_payment_id:
        return _refuse(request, source, "fetched_other_payment", 200)
    return fetched


async def _apply(
    request: web.Request,
    source: str,
    apply: ApplyProviderPayment,
    fetched: ProviderPayment,
    claimed_event: str,
) -> web.Response:
    if claimed_event in _CLAIMS_SUCCESS and fetched.status not in (
        ProviderStatus.SUCCEEDED,
        ProviderStatus.REFUNDED,
    ):
        # The body says paid, the provider says otherwise: believe the provider.
        _metrics(request).webhook_refusals.labels(source, "claim_not_confirmed").inc()
        _metrics(request).security_event(
            "webhook_claim_not_confirmed",
            source=source,
            claimed=claimed_event,
            fetched=fetched.raw_status or fetched.status.value,
            peer=request.remote,
        )
    with log_context(payment_id=fetched.payment_id):
        try:
            result = await apply(ApplyProviderPaymentCommand(fetched=fetched))
        except NotFound as exc:
            # Not ours, or names a payment with another provider id (someone else's).
            return _refuse(request, source, "unknown_payment", 200, detail=str(exc))
        except DomainError as exc:
            return _refuse(
                request, source, "rejected", 200, error=type(exc).__name__, detail=str(exc)
            )
    if result.effect is ProviderPaymentEffect.CONFIRMED and result.detail in (
        "amount_mismatch",
        "late",
    ):
        # Flagged and the seller alerted by the use case; nothing credited.
        return _refuse(request, source, result.detail, 200)
    outcome = (
        result.effect.value
        if result.effect is ProviderPaymentEffect.NOTHING or not result.detail
        else result.detail
    )
    logger.info("%s webhook: %s (%s)", source, outcome, fetched.raw_status or fetched.status)
    return _answer(request, source, outcome)


@inject
async def yookassa_webhook(
    request: web.Request,
    gateways: FromDishka[PaymentGateways],
    apply: FromDishka[ApplyProviderPayment],
) -> web.Response:
    source = PaymentProvider.YOOKASSA.value
    config = request.app[STATE_KEY].config
    forwarded = request.headers.get("X-Forwarded-For")
    ip = client_ip(request.remote, forwarded, config.trusted_proxies)
    if not is_yookassa_ip(ip):
        return _refuse(request, source, "source_ip", 403, client_ip=ip, forwarded_for=forwarded)
    raw = await _read(request, source)
    try:
        notice = parse_yookassa_notice(raw)
    except MalformedWebhook as exc:
        return _refuse(request, source, "malformed", 400, detail=str(exc))
    gateway = gateways.get(PaymentProvider.YOOKASSA)
    if gateway is None:
        return _refuse(request, source, "not_configured", 404)
    if notice.payment_id is None:
        logger.info("yookassa webhook: event %s ignored", notice.event)
        return _answer(request, source, "ignored")
    with log_context(provider=source, provider_payment_id=notice.payment_id, event=notice.event):
        fetched = await _fetch(request, source, gateway, notice.payment_id, notice.event)
        if isinstance(fetched, web.Response):
            return fetched
        return await _apply(request, source, apply, fetched, notice.event)


@inject
async def cryptopay_webhook(
    request: web.Request,
    gateways: FromDishka[PaymentGateways],
    apply: FromDishka[ApplyProviderPayment],
) -> web.Response:
    source = PaymentProvider.CRYPTOPAY.value
    config = request.app[STATE_KEY].config
    raw = await _read(request, source)
    token = config.cryptopay_token.get()
    gateway = gateways.get(PaymentProvider.CRYPTOPAY)
    if not token or gateway is None:
        return _refuse(request, source, "not_configured", 404)
    if not verify_cryptopay_signature(token, raw, request.headers.get("crypto-pay-api-signature")):
        return _refuse(request, source, "signature", 401)
    try:
        notice = parse_cryptopay_notice(raw)
    except MalformedWebhook as exc:
        return _refuse(request, source, "malformed", 400, detail=str(exc))
    if notice.update_type != "invoice_paid":
        logger.info("cryptopay webhook: update %s ignored", notice.update_type)
        return _answer(request, source, "ignored")
    with log_context(
        provider=source, provider_payment_id=notice.provider_payment_id, update_id=notice.update_id
    ):
        fetched = await _fetch(
            request, source, gateway, notice.provider_payment_id, notice.update_type
        )
        if isinstance(fetched, web.Response):
            return fetched
        return await _apply(request, source, apply, fetched, notice.update_type)


# -- Remnawave -------------------------------------------------------------------------
@inject
async def remnawave_webhook(
    request: web.Request, apply: FromDishka[ApplyPanelEvent]
) -> web.Response:
    source = "remnawave"
    config = request.app[STATE_KEY].config
    raw = await _read(request, source)
    if not config.remnawave:
        return _refuse(request, source, "not_configured", 404)
    signature = request.headers.get("X-Remnawave-Signature", "")
    hook = None
    if signature and signature.isascii():
        hook = next(
            (
                h
                for h in config.remnawave
                if verify_webhook_signature(h.secret.get(), raw, signature)
            ),
            None,
        )
    if hook is None:
        return _refuse(request, source, "signature", 401)
    try:
        command = parse_remnawave_event(raw, panel_id=hook.panel_id, dialect=hook.dialect)
    except MalformedWebhook as exc:
        return _refuse(request, source, "malformed", 400, panel=hook.panel_id, detail=str(exc))
    if command is None:
        return _answer(request, source, "ignored")
    with log_context(panel=hook.panel_id, panel_account=command.username):
        outcome = await apply(command)
    return _answer(request, source, outcome.value)


# -- Telegram --------------------------------------------------------------------------
class TelegramWebhook(SimpleRequestHandler):
    """aiogram's request handler, failing closed and counting refusals.

    * An empty configured secret refuses every update (aiogram would accept all).
    * The header is compared as bytes in constant time (no ``TypeError`` on non-ASCII).
    * A body that is not a JSON object with an ``update_id`` is a 400, not a 500.
    * The ``Bot`` may be given, or resolved once from the container (APP scope); it is
      owned by its creator, so ``close`` leaves its session alone.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        bot: Bot | None,
        secret: str,
        handle_in_background: bool,
        **data: Any,
    ) -> None:
        super().__init__(
            dispatcher,
            bot=bot,  # type: ignore[arg-type]  # resolved lazily when None
            handle_in_background=handle_in_background,
            secret_token=secret,
            **data,
        )
        self._secret = secret.encode()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if not self._secret:
            return False
        supplied = telegram_secret_token.encode("utf-8", "replace")
        return secrets.compare_digest(supplied, self._secret)

    async def resolve_bot(self, request: web.Request) -> Bot:
        if self.bot is None:
            self.bot = await request.app[DISHKA_CONTAINER_KEY].get(Bot)
        return self.bot

    async def close(self) -> None:
        """The bot's session belongs to whoever built the bot."""

    async def handle(self, request: web.Request) -> web.Response:
        source = "telegram"
        if not self.verify_secret(request.headers.get(TELEGRAM_SECRET_HEADER, ""), self.bot):
            return _refuse(request, source, "secret_token", 401)
        raw = await _read(request, source)
        try:
            update = json.loads(raw)
        except (ValueError, RecursionError):
            update = None
        if (
            not isinstance(update, dict)
            or not isinstance(update.get("update_id"), int)
            or isinstance(update.get("update_id"), bool)
        ):
            return _refuse(request, source, "malformed", 400)
        bot = await self.resolve_bot(request)
        with log_context(update_id=update["update_id"]):
            try:
                if self.handle_in_background:
                    response = await self._handle_request_background(bot=bot, request=request)
                else:
                    response = await self._handle_request(bot=bot, request=request)
            except ValidationError:
                # authentic but not an update aiogram understands: answering 500 would
                # make Telegram redeliver it forever
                return _refuse(request, source, "malformed", 400)
        _metrics(request).webhook_requests.labels(source, "accepted").inc()
        return response

    __call__ = handle
