"""The UI speaks the five languages: every text is translated, the committed .mo files match their
.po sources, and a page asked for in Czech, German, Polish or Russian comes out in it."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "arrears" / "locale"
LANGUAGES = ("cs", "de", "pl", "ru")


def _catalog(code: str):  # type: ignore[no-untyped-def]
    with (LOCALE / code / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_text_has_a_translation(code):
    catalog = _catalog(code)
    assert len(catalog) > 100
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == []
    assert fuzzy == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_committed_mo_file_matches_its_po_file(code):
    fresh = io.BytesIO()
    write_mo(fresh, _catalog(code), use_fuzzy=False)
    fresh.seek(0)
    with (LOCALE / code / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    # Compare what the two catalogs say, not bytes: the order inside a .mo file may differ.
    assert committed._catalog == gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "words"),
    [("cs", "Heslo"), ("de", "Passwort"), ("pl", "Hasło"), ("ru", "Пароль"), ("en", "Password")],
)
def test_the_login_page_comes_in_the_language_the_browser_asks_for(code, words):
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=code)
    assert page.status_code == 200
    assert words in page.content.decode()
    assert f'lang="{code}"' in page.content.decode()
