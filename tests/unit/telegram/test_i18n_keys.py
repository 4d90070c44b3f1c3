"""Every Fluent key the code uses exists in every language, with the arguments it needs.

Convention (see ``vpnsales.adapters.telegram.i18n``): keys appear in code as string
literals in ``t(...)``, ``t.get(...)``, ``t.plain(...)`` on a translator named ``t``,
``tr`` or ``translator`` (also ``self._t``…), or marked with ``msgid("...")``. A
kebab-case literal passed to a helper together with the translator
(``nav(t, "btn-back", ...)``) counts as a key too.
Domain errors are looked up as ``error-<code>``; every ``DomainError`` subclass is
enumerated below.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

import vpnsales
import vpnsales.application
import vpnsales.domain
from vpnsales.adapters.telegram.i18n import I18n, error_key
from vpnsales.domain import errors
from vpnsales.domain.customer import Language

SRC = Path(vpnsales.__file__).parent
TRANSLATOR_NAMES = {"t", "tr", "translator", "_t", "_tr", "_translator"}
KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
                "tg-spoiler", "blockquote", "span"}  # fmt: skip


@dataclass(frozen=True)
class KeyUse:
    key: str
    where: str
    kwargs: frozenset[str] | None
    """Keyword arguments passed, or ``None`` when unknown (``**args``, ``msgid``)."""


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def scan_key_uses(root: Path = SRC) -> list[KeyUse]:
    uses: list[KeyUse] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            is_msgid = _name(func) == "msgid"
            direct = _name(func) in TRANSLATOR_NAMES
            method = (
                isinstance(func, ast.Attribute)
                and func.attr in {"get", "plain"}
                and _name(func.value) in TRANSLATOR_NAMES
            )
            if not (is_msgid or direct or method):
                # a helper handed the translator, e.g. ``nav(t, "btn-back", ...)``
                if any(_name(a) in TRANSLATOR_NAMES for a in node.args):
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    uses.extend(
                        KeyUse(key, where, None)
                        for arg in node.args
                        for key in _literals(arg)
                        if KEY.match(key) and "-" in key
                    )
                continue
            kwargs: frozenset[str] | None = None
            if not is_msgid and all(k.arg is not None for k in node.keywords):
                kwargs = frozenset(k.arg for k in node.keywords if k.arg is not None)
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            uses.extend(KeyUse(key, where, kwargs) for key in _literals(node.args[0]))
    return uses


@pytest.fixture(scope="module")
def key_uses() -> list[KeyUse]:
    return scan_key_uses()


def test_the_scanner_finds_keys_in_the_telegram_adapter(key_uses: list[KeyUse]) -> None:
    keys = {use.key for use in key_uses}
    assert {"notify-expiring-soon", "days-count", "status-active", "guide-title"} <= keys


def test_scanner_understands_the_convention(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "t('a-b', x=1)\nself._t.get('c-d')\ntr.plain('e' if y else 'f', **kw)\n"
        "msgid('g-h')\npayload.get('not-a-key')\nnav(t, 'i-j', 'plain')\n",
        encoding="utf-8",
    )
    uses = {u.key: u.kwargs for u in scan_key_uses(tmp_path)}
    assert uses == {
        "a-b": frozenset({"x"}),
        "c-d": frozenset(),
        "e": None,
        "f": None,
        "g-h": None,
        "i-j": None,
    }


def test_every_key_used_in_code_exists_in_every_language(
    i18n: I18n, key_uses: list[KeyUse]
) -> None:
    uses = key_uses
    missing = [
        f"{use.where}: {use.key!r} missing in {language.value}"
        for use in uses
        for language in Language
        if use.key not in i18n.all_keys(language)
    ]
    assert not missing, "\n".join(missing)
    malformed = [f"{u.where}: {u.key!r}" for u in uses if not KEY.match(u.key)]
    assert not malformed, "keys must be kebab-case: " + ", ".join(malformed)


def test_calls_pass_exactly_the_variables_a_message_needs(
    i18n: I18n, key_uses: list[KeyUse]
) -> None:
    problems = []
    for language in Language:
        variables = i18n.variables(language)
        for use in key_uses:
            if use.kwargs is None:
                continue
            needed = variables.get(use.key)
            if needed is None:
                continue  # reported by test_every_key_used_in_code_exists_in_every_language
            if use.kwargs != needed:
                problems.append(
                    f"{use.where}: {use.key} ({language.value}) needs {sorted(needed)}, "
                    f"gets {sorted(use.kwargs)}"
                )
    assert not problems, "\n".join(problems)


def test_languages_have_the_same_keys_and_variables(i18n: I18n) -> None:
    ru, en = i18n.all_keys(Language.RU), i18n.all_keys(Language.EN)
    assert sorted(ru - en) == [], "only in ru"
    assert sorted(en - ru) == [], "only in en"
    ru_vars, en_vars = i18n.variables(Language.RU), i18n.variables(Language.EN)
    differ = {k: (ru_vars[k], en_vars[k]) for k in ru if ru_vars[k] != en_vars[k]}
    assert differ == {}


def _domain_errors() -> list[type[errors.DomainError]]:
    """Every DomainError subclass defined in the domain and application layers."""
    for package in (vpnsales.domain, vpnsales.application):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: list[type[errors.DomainError]] = [errors.DomainError]
    for cls in found:
        found.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("vpnsales.")]


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_every_domain_error_has_a_friendly_message(i18n: I18n, language: Language) -> None:
    keys = i18n.all_keys(language)
    missing = [cls.__name__ for cls in _domain_errors() if error_key(cls.code) not in keys]
    assert missing == []
    translator = i18n.for_language(language)
    for cls in _domain_errors():
        assert translator.error(cls()) == translator.get(error_key(cls.code))
        assert not i18n.variables(language)[error_key(cls.code)], "errors take no arguments"


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> not supported by Telegram")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name}; not supported by Telegram")


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_every_message_is_valid_telegram_html(i18n: I18n, language: Language) -> None:
    translator = i18n.for_language(language)
    problems = []
    for key, variables in sorted(i18n.variables(language).items()):
        text = translator.get(key, **dict.fromkeys(variables, 5))
        assert text.strip(), key
        assert "\u2068" not in text, "bidi isolation must be off"
        assert "\u2069" not in text
        parser = _TelegramHtml()
        parser.feed(text)
        parser.close()
        if parser.stack:
            parser.problems.append(f"unclosed {parser.stack}")
        if re.search(r"&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)", text):
            parser.problems.append("raw '&' (write &amp;)")
        if key.startswith("btn-") and ("<" in text or "&" in text):
            parser.problems.append("buttons are plain text: no markup")
        problems += [f"{language.value}/{key}: {p}" for p in parser.problems]
    assert not problems, "\n".join(problems)
