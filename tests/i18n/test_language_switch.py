"""The header's language switch: a form with CSRF that keeps the person on the page (about 4 s)."""

from __future__ import annotations

import re

from app.extensions import db
from tests.factories import csrf_token


def _switch(client, lang: str, page: str, **extra):
    html = client.get(page).get_data(as_text=True)
    return client.post("/langue", data={"csrf_token": csrf_token(html), "lang": lang,
                                        "next": page, **extra})


def _lang_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("lang="):
            return header.split(";", 1)[0].removeprefix("lang=")
    return None


def test_the_header_offers_each_language_in_its_own_language(client):
    html = client.get("/comment-ca-marche?vue=1").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/langue".*?</form>', html, re.S).group(0)
    assert 'name="csrf_token"' in form
    assert 'name="next" value="/comment-ca-marche?vue=1"' in form
    assert re.search(r'<button type="submit" name="lang" value="en" lang="en"[^>]*>English<', form)
    assert re.search(r'<span lang="fr" aria-current="true"[^>]*>Français</span>', form)
    assert "<script" not in form


def test_switching_keeps_the_person_on_the_page(client):
    response = _switch(client, "en", "/comment-ca-marche?vue=1")
    assert response.status_code == 302
    assert response.location.endswith("/comment-ca-marche?vue=1")
    assert _lang_cookie(response) == "en"
    page = client.get(response.location).get_data(as_text=True)
    assert '<html lang="en">' in page and "How the matching works" in page
    assert re.search(r'<span lang="en" aria-current="true"[^>]*>English</span>', page)

    back = _switch(client, "fr", "/comment-ca-marche")
    assert _lang_cookie(back) == "fr"
    assert "Comment fonctionne la mise en relation" in client.get("/comment-ca-marche").get_data(
        as_text=True)


def test_a_logged_in_person_keeps_the_language_for_their_messages(client, resident):
    user, password = resident
    client.login(user, password)
    response = _switch(client, "en", "/habitant/")
    assert response.location.endswith("/habitant/")
    db.session.refresh(user)
    assert user.locale == "en"
    assert "Where my request stands" in client.get("/habitant/").get_data(as_text=True)


def test_the_switch_needs_the_csrf_token(client):
    response = client.post("/langue", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    assert _lang_cookie(response) is None


def test_the_switch_stays_on_the_site_and_ignores_unknown_languages(client):
    away = _switch(client, "en", "/", next="//evil.example/")
    assert away.location.endswith("/") and "evil" not in away.location
    unknown = _switch(client, "de", "/signaler")
    assert unknown.location.endswith("/signaler")
    assert _lang_cookie(unknown) is None


def test_the_link_form_changes_no_account(client, resident):
    user, password = resident
    client.login(user, password)
    response = client.get("/langue/en?next=/habitant/")
    assert _lang_cookie(response) == "en"
    db.session.refresh(user)
    assert user.locale == "fr"


def test_an_account_in_english_reads_english_on_a_new_browser(client, resident):
    user, password = resident
    user.locale = "en"
    db.session.commit()
    client.login(user, password)  # a browser that never used the switch: no language cookie
    assert "Where my request stands" in client.get("/habitant/").get_data(as_text=True)
    _switch(client, "fr", "/habitant/")
    user.locale = "en"  # the switch saved "fr" on the account too: the cookie alone must win
    db.session.commit()
    french = client.get("/habitant/").get_data(as_text=True)  # this browser's choice wins
    assert "Where my request stands" not in french and '<html lang="fr">' in french
