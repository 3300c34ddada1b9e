"""No prose in the Python code reaches people without the catalogue (about 1 s).

Reads every module of ``app/`` and looks at the strings given to what people read: flash
messages, form fields (label, description, choices), validators and their messages, validation
and domain errors, notifications. A string that reads as words and sits outside a gettext call
fails. The demo data (names, addresses, notes typed by people) is content, not interface.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from tests.i18n.template_text import PROSE

APP = Path(__file__).resolve().parents[2] / "app"
GETTEXT = frozenset({"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext",
                     "pgettext", "lazy_pgettext"})
READ_BY_PEOPLE = frozenset({"flash", "ValidationError", "StopValidation", "DataRequired",
                            "InputRequired", "Length", "NumberRange", "Email", "Regexp",
                            "EqualTo", "AnyOf", "NoneOf", "FileRequired", "FileAllowed",
                            "FileSize", "notify", "enqueue_email", "SelectChoice"})
#: Errors that speak to the operator in the logs (configuration, delivery), in English.
FOR_OPERATORS = frozenset({"ConfigurationError", "DeliveryError"})
#: Keyword arguments that configure a widget rather than say something.
TECHNICAL_KEYWORDS = frozenset({"render_kw", "default", "format", "id", "name", "widget"})
CONTENT = ("services/demo",)


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _read_by_people(name: str) -> bool:
    # Python's own exceptions (ValueError…) speak to developers, in English; ours speak to people.
    return name in READ_BY_PEOPLE or (name.endswith(("Field", "Error"))
                                      and not hasattr(builtins, name)
                                      and name not in FOR_OPERATORS)


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of prose given to something people read, outside any gettext call."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and PROSE.search(node.value)):
            continue
        up, reader = parents.get(node), None
        while up is not None and not isinstance(up, ast.stmt):
            if isinstance(up, ast.keyword) and up.arg in TECHNICAL_KEYWORDS:
                break
            if isinstance(up, ast.Call):
                if _name(up) in GETTEXT:
                    break
                reader = reader or (_name(up) if _read_by_people(_name(up)) else None)
            up = parents.get(up)
        else:
            if reader:
                found.append((node.lineno, node.value))
    return found


def test_no_prose_outside_the_catalogue():
    findings = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP).as_posix()
        if relative.startswith(CONTENT):
            continue
        findings += [f"app/{relative}:{line}: {text!r}"
                     for line, text in untranslated(path.read_text(encoding="utf-8"))]
    assert not findings, "Wrap these in _() or _l():\n" + "\n".join(findings)


@pytest.mark.parametrize(("source", "expected"), [
    ('flash("Paramètres enregistrés.", "success")', ["Paramètres enregistrés."]),
    ('flash(_("Paramètres enregistrés."), "success")', []),
    ('name = StringField("Nom", [DataRequired("Ce champ est obligatoire.")])',
     ["Nom", "Ce champ est obligatoire."]),
    ('name = StringField(_l("Nom"), [DataRequired(_l("Ce champ est obligatoire."))],'
     ' render_kw={"autocomplete": "family-name"})', []),
    ('kind = SelectField(_l("Tri"), choices=[("attente", _l("Attente"))])', []),
    ('raise DomainError("Cette action n\'est plus possible.")', ["Cette action n'est plus possible."]),
    ('logger.info("Tâche terminée")', []),
    ('raise ValueError("population is negative")', []),
])
def test_the_check_finds_prose_outside_gettext(source, expected):
    assert [text for _line, text in untranslated(source)] == expected
