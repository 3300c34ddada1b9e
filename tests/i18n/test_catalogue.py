"""The English catalogue is complete, keeps every placeholder, and the .mo is the compiled .po.

About 2.5 s (the extraction of every msgid from the sources is most of it).
"""

from __future__ import annotations

from babel.messages.catalog import Catalog, Message

from tests.i18n.catalogue import compiled, english, placeholders, source_msgids

HOW_TO_FIX = "run `make translations`, then translate the new entries of app/translations/en"


def _singular(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _key(value: str | tuple | list) -> str | tuple:
    return value if isinstance(value, str) else tuple(value)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def test_every_string_of_the_sources_is_in_the_catalogue():
    missing = source_msgids() - {_singular(m) for m in _messages(english())}
    assert not missing, f"Not in the English catalogue ({HOW_TO_FIX}):\n" + "\n".join(sorted(missing))


def test_every_msgid_has_an_english_translation():
    untranslated = [_singular(m) for m in _messages(english())
                    if m.fuzzy or not all(s.strip() for s in _strings(m))]
    assert not untranslated, "Untranslated or fuzzy:\n" + "\n".join(untranslated)


def test_translations_keep_the_placeholders():
    broken = []
    for message in _messages(english()):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for source, translation in zip(ids * 2, _strings(message), strict=False):
            if placeholders(source) != placeholders(translation):
                broken.append(f"{source!r} -> {translation!r}")
    assert not broken, "Placeholders lost or added:\n" + "\n".join(broken)


def test_the_compiled_catalogue_is_the_po():
    po = {_key(m.id): _key(m.string) for m in _messages(english()) if not m.fuzzy}
    mo = {_key(m.id): _key(m.string) for m in _messages(compiled())}
    assert mo == po, f"messages.mo is stale: {HOW_TO_FIX}"


def test_the_placeholder_check_can_fail():
    assert placeholders("Bonjour %(name)s, %(n)s visites (%(p)s %%)") == \
        ["%%", "%(n)s", "%(name)s", "%(p)s"]
    assert placeholders("Hello %(name)s") != placeholders("Hello {name}")
    assert placeholders("pendant %(h)s h %(m)02d") == ["%(h)s", "%(m)02d"]
