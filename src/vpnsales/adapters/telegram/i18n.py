"""Customer-facing texts: Fluent bundles (ru, en) loaded once per process.

Files live in ``locales/<language>/*.ftl`` inside this package (shipped in the wheel).
They are parsed and compiled once, when :class:`I18n` is built (the composition root
builds one per process); a call to :meth:`Translator.get` is a dict lookup plus
formatting, never parsing.

Texts are Telegram HTML (``parse_mode="HTML"``): ``get`` escapes every ``str``
argument unless it is :class:`Html` (already safe markup, e.g. the result of another
``get``), so tariff names or usernames can't break a message. Use :meth:`Translator.plain`
where Telegram does not parse HTML: button labels, callback alerts, invoice titles,
pre-checkout refusals. FTL texts write ``&`` as ``&amp;`` and use only the tags
Telegram accepts.

**Key convention** (checked by ``tests/unit/telegram/test_i18n_keys.py``): message ids
are kebab-case (``menu-main``) and code uses them as string literals, either

- in a call on a translator: ``t("key", ...)``, ``t.get("key", ...)``,
  ``t.plain("key", ...)`` where the translator is named ``t``, ``tr`` or
  ``translator`` (also as an attribute: ``self._t.get(...)``), or
- marked with :func:`msgid` where a key is stored for later (``msgid("btn-buy")``).

Keys built at run time are limited to ``error-<DomainError.code>``
(:func:`error_key`); the coverage test enumerates every domain error for those.

In *strict* mode (tests, development) a missing key or a missing argument raises; in
production mode a key missing in Russian falls back to English, and a key missing
everywhere renders as the key itself (logged), so a customer never sees a crash.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from babel import Locale
from fluent.runtime import FluentBundle
from fluent.runtime.resolver import CurrentEnvironment, ResolverEnvironment
from fluent.runtime.types import FluentInt
from fluent.runtime.utils import native_to_fluent
from fluent.syntax import FluentParser
from fluent.syntax import ast as ftl
from fluent.syntax.visitor import Visitor

from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError

logger = logging.getLogger(__name__)

LOCALES: Traversable = files("vpnsales.adapters.telegram").joinpath("locales")
FALLBACK_LANGUAGE = Language.EN
_BABEL_LOCALES = {Language.RU: "ru", Language.EN: "en"}


class Html(str):
    """A string that is already safe Telegram HTML: not escaped again when passed on."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as safe Telegram HTML text (``Html`` values pass through)."""
    if isinstance(value, Html):
        return value
    # & < > always; " too, as values may sit in href="…"; ' is left readable
    return Html(html.escape(str(value), quote=False).replace('"', "&quot;"))


def msgid(key: str) -> str:
    """Mark a Fluent message id kept for later use (the key-coverage test finds it)."""
    return key


def error_key(error: DomainError | str) -> str:
    """The message id for a domain error (or its ``code``): ``error-<code>``."""
    code = error if isinstance(error, str) else error.code
    return f"error-{code}"


class MissingTranslation(LookupError):
    def __init__(self, key: str, language: Language) -> None:
        super().__init__(f"no Fluent message {key!r} for {language.value}")
        self.key = key
        self.language = language


class TranslationError(ValueError):
    """A message could not be formatted (a missing argument, an unknown reference)."""

    def __init__(self, key: str, language: Language, errors: list[Exception]) -> None:
        detail = "; ".join(str(e) for e in errors)
        super().__init__(f"formatting {key!r} ({language.value}) failed: {detail}")
        self.key = key
        self.language = language
        self.errors = errors


class FtlSyntaxError(ValueError):
    """A shipped ``.ftl`` file does not parse: fail at start-up, not per message."""


# -- loading ---------------------------------------------------------------------------
def _ftl_files(language: Language, root: Traversable) -> list[Traversable]:
    folder = root.joinpath(language.value)
    if not folder.is_dir():
        raise FileNotFoundError(f"no locale folder for {language.value}")
    found = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".ftl") and f.is_file()),
        key=lambda f: f.name,
    )
    if not found:
        raise FileNotFoundError(f"no .ftl files for {language.value}")
    return found


def _parse(language: Language, root: Traversable) -> tuple[ftl.Resource, ...]:
    parser = FluentParser(with_spans=False)
    resources: list[ftl.Resource] = []
    seen: dict[str, str] = {}
    for file in _ftl_files(language, root):
        resource = parser.parse(file.read_text(encoding="utf-8"))
        for entry in resource.body:
            if isinstance(entry, ftl.Junk):
                notes = "; ".join(str(a.message) for a in entry.annotations)
                content = (entry.content or "").strip()
                snippet = content.splitlines()[0] if content else ""
                raise FtlSyntaxError(f"{language.value}/{file.name}: {notes}: {snippet!r}")
            if isinstance(entry, ftl.Message | ftl.Term):
                name = ("-" if isinstance(entry, ftl.Term) else "") + entry.id.name
                if name in seen:
                    raise FtlSyntaxError(
                        f"{language.value}: {name!r} defined in {seen[name]} and {file.name}"
                    )
                seen[name] = file.name
        resources.append(resource)
    return tuple(resources)


@cache
def load_resources(language: Language) -> tuple[ftl.Resource, ...]:
    """The parsed shipped resources of ``language`` (parsed once per process)."""
    return _parse(language, LOCALES)


def _messages(resources: tuple[ftl.Resource, ...]) -> Iterator[ftl.Message]:
    for resource in resources:
        for entry in resource.body:
            if isinstance(entry, ftl.Message):
                yield entry


# -- translating -----------------------------------------------------------------------
class _Int(FluentInt):
    """An integer argument formatted without Babel's per-call pattern cloning (~50x faster).

    Same output as Fluent's default for integers: grouped thousands (``1,000`` /
    ``1 000`` with a no-break space). Plural selection is unchanged.
    """

    def format(self, locale: Locale) -> str:
        text = f"{int(self):,}"
        return text.replace(",", "\u00a0") if locale.language == "ru" else text


def _to_fluent(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return _Int(value)
    return native_to_fluent(value)


_MEMO_SIZE = 4096
"""Formatted texts remembered per translator (button labels, screens: the same few
hundred texts with the same arguments, formatted on every update otherwise)."""
_MEMO_TYPES = frozenset({str, Html, int})
"""Argument types whose equal values always format alike (not ``Decimal``: ``1.0`` and
``1`` are equal but print differently; not ``bool``: equal to ``0``/``1``)."""


def _memo_key(key: str, args: Mapping[str, object]) -> tuple[object, ...] | None:
    """``(key, name, value, …)`` when the formatting can be remembered, else ``None``."""
    parts: list[object] = [key]
    for name, value in args.items():
        if type(value) not in _MEMO_TYPES:
            return None
        parts += (name, value)
    return tuple(parts)


class Translator:
    """All texts of one language. Cheap to share; built by :class:`I18n`."""

    __slots__ = ("_bundle", "_fallback", "_memo", "_patterns", "_strict", "language")

    def __init__(
        self,
        language: Language,
        bundle: FluentBundle,
        keys: Iterable[str],
        *,
        strict: bool,
        fallback: Translator | None = None,
    ) -> None:
        self.language = language
        self._bundle = bundle
        self._strict = strict
        self._fallback = fallback
        self._patterns: dict[str, Any] = {}
        self._memo: dict[tuple[object, ...], str] = {}
        for key in keys:  # compile everything now, not on first use
            message = bundle.get_message(key)
            if message.value is not None:
                self._patterns[key] = message.value

    def __repr__(self) -> str:
        return f"Translator({self.language.value}, {len(self._patterns)} messages)"

    def has(self, key: str) -> bool:
        return key in self._patterns

    def get(self, key: str, /, **args: object) -> Html:
        """The message ``key`` as Telegram HTML; ``str`` arguments are escaped."""
        escaped = {
            name: (escape(value) if isinstance(value, str) else value)
            for name, value in args.items()
        }
        return Html(self._format(key, escaped))

    __call__ = get

    def plain(self, key: str, /, **args: object) -> str:
        """The message ``key`` for places Telegram shows as plain text (buttons, alerts)."""
        return self._format(key, args)

    def error(self, error: DomainError) -> Html:
        """The customer's wording of a domain error.

        Strict mode raises for an error without a message; production mode falls back
        to the generic ``error-domain-error`` wording.
        """
        key = error_key(error)
        if key not in self._patterns and not self._strict:
            key = error_key(DomainError.code)
        return self.get(key)

    def _format(self, key: str, args: Mapping[str, object]) -> str:
        memo = _memo_key(key, args)
        if memo is not None:
            text = self._memo.get(memo)
            if text is None:
                text = self._render(key, args, remember=memo)
            return text
        return self._render(key, args)

    def _render(
        self, key: str, args: Mapping[str, object], *, remember: tuple[object, ...] | None = None
    ) -> str:
        pattern = self._patterns.get(key)
        if pattern is None:
            if self._strict:
                raise MissingTranslation(key, self.language)
            if self._fallback is not None:
                logger.warning("message %r missing in %s, using fallback", key, self.language)
                return self._fallback._format(key, args)
            logger.error("message %r missing in %s", key, self.language)
            return key
        # FluentBundle.format_pattern, minus the slow generic number conversion
        errors: list[Exception] = []
        current = CurrentEnvironment(args={k: _to_fluent(v) for k, v in args.items()})
        env = ResolverEnvironment(context=self._bundle, current=current, errors=errors)
        try:
            text = pattern(env)
        except ValueError as exc:  # pragma: no cover - mirrors format_pattern
            errors.append(exc)
            text = "{???}"
        if errors:
            if self._strict:
                raise TranslationError(key, self.language, errors)
            logger.warning("formatting %r (%s): %s", key, self.language, errors)
            return str(text)
        if remember is not None:  # only clean formattings: warnings keep being logged
            if len(self._memo) >= _MEMO_SIZE:
                del self._memo[next(iter(self._memo))]  # the oldest
            self._memo[remember] = text = str(text)
        return str(text)


class I18n:
    """The hub: one :class:`Translator` per language, built once per process.

    ``strict=True`` for tests and development (missing keys and arguments raise);
    ``strict=False`` in production (Russian falls back to English; never raises).
    """

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self._resources = {language: load_resources(language) for language in Language}
        fallback = self._build(FALLBACK_LANGUAGE, None)
        self._translators: dict[Language, Translator] = {FALLBACK_LANGUAGE: fallback}
        for language in Language:
            if language is not FALLBACK_LANGUAGE:
                self._translators[language] = self._build(language, fallback)

    def _build(self, language: Language, fallback: Translator | None) -> Translator:
        bundle = FluentBundle([_BABEL_LOCALES[language]], use_isolating=False)
        # Babel's plural rule extracts CLDR operands through Decimal on every variant
        # compared; counts repeat, so remember the category per number.
        bundle._plural_form = lru_cache(maxsize=4096)(bundle._plural_form)
        for resource in self._resources[language]:
            bundle.add_resource(resource)
        keys = [m.id.name for m in _messages(self._resources[language])]
        return Translator(language, bundle, keys, strict=self.strict, fallback=fallback)

    def for_language(self, language: Language) -> Translator:
        return self._translators[language]

    def all_keys(self, language: Language) -> frozenset[str]:
        """Every message id of ``language`` (terms excluded)."""
        return frozenset(m.id.name for m in _messages(self._resources[language]))

    def variables(self, language: Language) -> dict[str, frozenset[str]]:
        """For each message id, the ``$variables`` it needs, through message references."""
        messages = {m.id.name: m for m in _messages(self._resources[language])}
        direct: dict[str, tuple[set[str], set[str]]] = {}
        for name, message in messages.items():
            collector = _RefCollector()
            if message.value is not None:
                collector.visit(message.value)
            direct[name] = (collector.variables, collector.messages)

        resolved: dict[str, frozenset[str]] = {}

        def resolve(name: str, stack: frozenset[str]) -> frozenset[str]:
            if name in resolved:
                return resolved[name]
            variables, refs = direct.get(name, (set(), set()))
            result = set(variables)
            for ref in refs - stack:
                result |= resolve(ref, stack | {name})
            resolved[name] = frozenset(result)
            return resolved[name]

        return {name: resolve(name, frozenset()) for name in messages}


class _RefCollector(Visitor):
    """Variables and message references of a pattern (term arguments are the term's)."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.messages: set[str] = set()

    def visit_VariableReference(self, node: ftl.VariableReference) -> None:
        self.variables.add(node.id.name)

    def visit_MessageReference(self, node: ftl.MessageReference) -> None:
        self.messages.add(node.id.name)

    def visit_TermReference(self, node: ftl.TermReference) -> None:
        if node.arguments is not None:
            self.visit(node.arguments)


__all__ = [
    "FtlSyntaxError",
    "Html",
    "I18n",
    "MissingTranslation",
    "TranslationError",
    "Translator",
    "error_key",
    "escape",
    "load_resources",
    "msgid",
]
