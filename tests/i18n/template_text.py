"""Find the text of a template that people read but that does not go through the translation layer.

The Jinja lexer separates template data from ``{{ … }}`` and ``{% … %}``. Data inside
``{% trans %}…{% endtrans %}`` is translated; every other piece of data is HTML (or the text of an
e-mail or SMS) written in the template itself. Expressions are replaced by a marker, so the HTML
can be parsed whole; a text node or a translatable attribute left with letters is a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

#: Attributes whose value people read or hear.
READ_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "aria-description",
                             "aria-roledescription", "aria-valuetext", "label", "content"})

#: Elements whose content is code or a sample of a file, not prose.
LITERAL = frozenset({"script", "style", "code", "pre", "kbd", "samp"})

#: Text that stays the same in every language, and why. (Nothing needs it today: the switch
#: names its languages in an expression. It is here so that a proper noun written as text does
#: not have to go through the catalogue.)
ALLOWED = frozenset({
    "English",    # the language switch names each language in its own language
    "Français",
    "Voisinage",  # the service's name (SERVICE_NAME), a proper noun
})

#: Jinja expressions are replaced by this marker (a private-use character, never in real text).
MARK = "\ue000"
LETTERS = re.compile(r"[^\W\d_]{2,}")
#: A bare host name printed as a link's text (``service-public.fr``) reads the same in any language.
HOST = re.compile(r"^(?:https?://)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?$")


@dataclass(frozen=True)
class Finding:
    """Untranslated text in a template: where, and what."""

    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _skeleton(source: str) -> str:
    """The template with every expression replaced by MARK, every tag and translated block dropped.

    Line breaks are kept so that findings carry the template's line numbers.
    """
    env = Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    in_block = in_variable = False
    block_words: list[str] = []
    trans_depth = 0
    for _line, kind, value in env.lex(source):
        if kind == "block_begin":
            in_block, block_words = True, []
        elif kind == "block_end":
            in_block = False
            if block_words[:1] == ["trans"]:
                trans_depth += 1
            elif block_words[:1] == ["endtrans"]:
                trans_depth -= 1
        elif kind == "variable_begin":
            in_variable = True
            out.append(MARK)
        elif kind == "variable_end":
            in_variable = False
        elif in_block and kind == "name":
            block_words.append(value)
        elif kind == "data" and not trans_depth:
            out.append(value)
        if kind in ("data", "comment") or in_block or in_variable:
            # Keep the line breaks of everything dropped, so lines stay right.
            if kind != "data" or trans_depth:
                out.append("\n" * value.count("\n"))
    return "".join(out)


def _readable(text: str) -> str | None:
    """The text with letters that someone reads, or None."""
    text = " ".join(text.replace(MARK, " ").split())
    if not LETTERS.search(text) or HOST.match(text.rstrip(".")):
        return None
    words = [w for w in LETTERS.findall(text) if w not in ALLOWED]
    return text if words else None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LITERAL:
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                tag == "input" and name == "value"
                and values.get("type") in ("submit", "button", "reset"))
            if name == "content" and tag == "meta" and values.get("name") != "description":
                readable = False
            if readable and value and (text := _readable(value)):
                self.found.append((self.getpos()[0], text))

    def handle_endtag(self, tag: str) -> None:
        if tag in LITERAL:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and (text := _readable(data)):
            self.found.append((self.getpos()[0], text))


def untranslated(path: Path) -> list[Finding]:
    """Every piece of text people read in this template that is not translated."""
    skeleton = _skeleton(path.read_text(encoding="utf-8"))
    name = str(path.relative_to(TEMPLATES))
    if path.suffix == ".txt":
        # E-mails and SMS are plain text: every line left with letters is a finding.
        return [Finding(name, number, text) for number, line in enumerate(skeleton.splitlines(), 1)
                if (text := _readable(line))]
    collector = _Collector()
    collector.feed(skeleton)
    collector.close()
    return [Finding(name, line, text) for line, text in collector.found]


def all_templates() -> list[Path]:
    """Every template of the service: HTML pages, e-mails and SMS."""
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def readable_texts(html: str) -> list[str]:
    """The text nodes and read attributes of a rendered page, whitespace collapsed."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return [text for _line, text in collector.found]


#: Calls whose string arguments are translated, or are patterns and markup rather than prose.
GETTEXT = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})
TECHNICAL_CALLS = frozenset({"dateformat", "datetimeformat", "decimalformat", "replace",
                             "url_for", "format", "join", "selectattr", "rejectattr", "truncate"})
#: A literal that reads as words: an accent, two words, or a capitalised word.
PROSE = re.compile(r"[À-ÿ]|[A-Za-z]{2,} [A-Za-z]{2,}|^[A-ZÀ-Ý][a-zà-ÿ]+$")


def _calling(tokens: list[tuple[int, str, str]], index: int) -> str | None:
    """The name of the call whose parentheses hold token ``index``, inside one tag."""
    depth = 0
    for j in range(index - 1, -1, -1):
        _line, kind, value = tokens[j]
        if kind in ("variable_begin", "block_begin"):
            return None
        if kind == "operator" and value == ")":
            depth += 1
        elif kind == "operator" and value == "(":
            if depth == 0:
                return tokens[j - 1][2] if j and tokens[j - 1][1] == "name" else None
            depth -= 1
    return None


def untranslated_literals(path: Path) -> list[Finding]:
    """Prose written as a string inside ``{{ … }}`` or ``{% … %}`` (a macro's argument, a
    ``{% set %}``) that no gettext call wraps."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    tokens = list(env.lex(path.read_text(encoding="utf-8")))
    name = str(path.relative_to(TEMPLATES))
    found = []
    for index, (line, kind, value) in enumerate(tokens):
        if kind != "string":
            continue
        text = value[1:-1]
        if not PROSE.search(text) or text in ALLOWED:
            continue
        call = _calling(tokens, index)
        if call not in GETTEXT and call not in TECHNICAL_CALLS:
            found.append(Finding(name, line, text))
    return found
