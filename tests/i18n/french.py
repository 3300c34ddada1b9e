"""Spot a French msgid of the catalogue in a page that should be in English."""

from __future__ import annotations

import re
from functools import cache

from tests.i18n.catalogue import PLACEHOLDER, english

#: Pieces of a msgid between placeholders shorter than this are only matched as a whole text.
LONG = 24


def _pieces(text: str) -> list[str]:
    return [" ".join(p.split()) for p in PLACEHOLDER.split(text) if p.strip(" :;,.()–—·")]


@cache
def french_pieces() -> tuple[frozenset[str], re.Pattern | None]:
    """(short pieces matched as whole texts, a pattern for long pieces found inside a text).

    A piece that is also an English translation ("Distance", "Contact") cannot tell the
    languages apart and is left out.
    """
    sources, translations = set(), set()
    for message in english():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            sources.update(_pieces(text))
        for text in strings:
            translations.update(_pieces(text))
    french = sources - translations
    long = sorted((p for p in french if len(p) >= LONG), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(p) for p in long)) if long else None
    return frozenset(french), pattern


def french_in(texts: list[str]) -> list[str]:
    """The texts of a page that are (or contain) a French msgid."""
    whole, pattern = french_pieces()
    found = []
    for text in texts:
        text = " ".join(text.split())
        if text.strip(" :;,.()–—·") in whole or text in whole or (pattern and pattern.search(text)):
            found.append(text)
    return found
