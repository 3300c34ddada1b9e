"""The English catalogue as the tests read it: the .po, the compiled .mo, and the sources' msgids."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LC_MESSAGES = ROOT / "app" / "translations" / "en" / "LC_MESSAGES"
#: The keywords of ``make translations`` (pybabel's defaults plus our lazy aliases).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
#: ``%(name)s``, ``%(m)02d``, ``%%`` and ``{name}``: what must survive translation.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*[sdfr]|%%|\{[a-z_]*\}")


@cache
def english() -> Catalog:
    """The English .po."""
    with (LC_MESSAGES / "messages.po").open("rb") as f:
        return read_po(f)


@cache
def compiled() -> Catalog:
    """The English .mo that the app loads."""
    with (LC_MESSAGES / "messages.mo").open("rb") as f:
        return read_mo(f)


def source_msgids() -> set[str]:
    """Every msgid that the code and the templates ask to translate today (singulars of plurals)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str] = set()
    for top in ("app", "templates"):
        local = [(pattern.removeprefix(f"{top}/"), method) for pattern, method in method_map
                 if pattern.startswith(f"{top}/")]
        for _name, _line, message, _comments, _context in extract_from_dir(
                ROOT / top, local, options_map, keywords=KEYWORDS,
                directory_filter=_scanned):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _scanned(path: str) -> bool:
    """Babel skips folders starting with "_" by default: ours (_macros, _partials) hold text."""
    return Path(path).name != "__pycache__"


def placeholders(text: str) -> list[str]:
    """The placeholders of a message, sorted, so that their order may change in English."""
    return sorted(PLACEHOLDER.findall(text))
