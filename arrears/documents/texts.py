"""Which text to use: the company's own for the customer's language, else the shipped default in
that language, else the same two in the company's default language (a fallback the history
records), else English."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from arrears.companies.models import Company
from arrears.documents.batch import shared
from arrears.documents.models import FIELDS, MessageTemplate

DEFAULTS = Path(__file__).resolve().parent / "defaults"
SHIPPED_LANGUAGES = ("en", "cs", "de", "pl", "ru")


@lru_cache(maxsize=16)
def shipped(language: str) -> dict[str, dict[str, str]]:
    path = DEFAULTS / f"{language}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Texts:
    key: str
    wanted_language: str
    fields: dict[str, str]  # subject, opening, closing, body
    languages: dict[str, str]  # field -> language it came from

    @property
    def fell_back(self) -> bool:
        return any(lang != self.wanted_language for lang in self.languages.values())


class MissingText(LookupError):
    pass


def base_language(code: str) -> str:
    return code.replace("_", "-").split("-")[0].lower()


def texts_for(company: Company, key: str, language: str) -> Texts:
    return shared(
        ("texts", company.pk, company.default_language, key, language), lambda: _texts_for(company, key, language)
    )


def _texts_for(company: Company, key: str, language: str) -> Texts:
    wanted = base_language(language or company.default_language)
    order = []
    for lang in (wanted, base_language(company.default_language), "en"):
        if lang not in order:
            order.append(lang)
    own = {t.language: t for t in MessageTemplate.objects.filter(company=company, key=key, language__in=order)}
    fields: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        for lang in order:
            text = getattr(own[lang], name) if lang in own else ""
            text = text or shipped(lang).get(key, {}).get(name, "")
            if text:
                fields[name], sources[name] = text, lang
                break
        else:
            raise MissingText(f"no {name} text for template {key!r} in {', '.join(order)}")
    return Texts(key, wanted, fields, sources)
