"""No template shows French that bypasses the catalogue (about 0.3 s for every template)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.i18n.template_text import all_templates, untranslated, untranslated_literals


def test_every_template_text_goes_through_the_catalogue():
    findings = [str(f) for path in all_templates() for f in untranslated(path)]
    assert not findings, "Wrap these in {{ _('…') }} or {% trans %}:\n" + "\n".join(findings)


def test_no_template_passes_prose_to_a_macro_outside_the_catalogue():
    findings = [str(f) for path in all_templates() for f in untranslated_literals(path)]
    assert not findings, "Wrap these strings in _('…'):\n" + "\n".join(findings)


@pytest.mark.parametrize(("source", "expected"), [
    ('{{ badge("Fait", "done") }}', ["Fait"]),
    ("{% set title = 'Mes visites' %}", ["Mes visites"]),
    ('{{ badge(_("Fait"), "done") }}', []),
    ('{{ fact(_("Note : %(n)s", n=note|truncate(30, True, "…")), x) }}', []),
    ("{{ url_for('public.home') }} {{ d|dateformat('EEEE d MMMM y') }}", []),
    ('<p class="{{ \'state-closed\' if closed }}">', []),
])
def test_the_check_finds_prose_in_expressions(tmp_path, monkeypatch, source, expected):
    import tests.i18n.template_text as module

    monkeypatch.setattr(module, "TEMPLATES", tmp_path)
    page = tmp_path / "page.html"
    page.write_text(source, encoding="utf-8")
    assert [f.text for f in untranslated_literals(page)] == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("<p>Bonjour</p>", ["Bonjour"]),
    ('<a href="/" title="Retour à l\'accueil">{{ _("Accueil") }}</a>', ["Retour à l'accueil"]),
    ('<img src="x.png" alt="Logo de la ville">', ["Logo de la ville"]),
    ('<input type="submit" value="Envoyer">', ["Envoyer"]),
    ("<p>{{ _('Bonjour') }} {{ user.first_name }}, bienvenue</p>", [", bienvenue"]),
    ("<p>{% trans %}Bonjour {{ name }}{% endtrans %}</p>", []),
    ('<button name="action" value="next">{{ _("Continuer") }}</button>', []),
    ("<p>{{ _('Téléphone') }} : 05 36 49 00 00</p>", []),
    ("<p><code>min(a, 3)</code> Voisinage</p>", []),
    ("<p>{# un commentaire #}</p>", []),
])
def test_the_check_finds_french_outside_the_catalogue(tmp_path, monkeypatch, source, expected):
    import tests.i18n.template_text as module

    monkeypatch.setattr(module, "TEMPLATES", tmp_path)
    page = tmp_path / "page.html"
    page.write_text(source, encoding="utf-8")
    assert [f.text for f in untranslated(page)] == expected


def test_plain_text_messages_are_checked_line_by_line(tmp_path, monkeypatch):
    import tests.i18n.template_text as module

    monkeypatch.setattr(module, "TEMPLATES", tmp_path)
    mail = tmp_path / "mail.txt"
    mail.write_text('{{ _("Bonjour") }}\nÀ bientôt,\n{{ signature }}\n', encoding="utf-8")
    assert [(f.line, f.text) for f in untranslated(mail)] == [(2, "À bientôt,")]


def test_every_kind_of_template_is_checked():
    names = {str(Path(p).parent.name) for p in all_templates()}
    assert {"emails", "sms", "errors", "agent", "resident", "volunteer"} <= names
