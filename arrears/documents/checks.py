"""The template check: every key x language rendered with a sample notice."""

from __future__ import annotations

from dataclasses import dataclass, field

from arrears.companies.models import Company
from arrears.documents.compose import compose, sample_context
from arrears.documents.models import MessageTemplate
from arrears.documents.sandbox import TemplateProblem
from arrears.documents.texts import SHIPPED_LANGUAGES, MissingText, shipped
from arrears.dunning.models import Level, Policy


@dataclass
class CheckReport:
    checked: int = 0
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)


def template_keys(company: Company) -> list[str]:
    """Every key some policy, the shipped defaults or the company's own texts use."""
    keys = set(shipped("en"))
    keys.update(MessageTemplate.objects.filter(company=company).values_list("key", flat=True))
    keys.update(k for k in Level.objects.filter(policy__company=company).values_list("template", flat=True) if k)
    keys.update(Policy.objects.filter(company=company).values_list("pre_due_template", flat=True))
    return sorted(keys)


def check_templates(company: Company, languages: list[str] | None = None) -> CheckReport:
    report = CheckReport()
    wanted = languages or sorted(
        set(SHIPPED_LANGUAGES) | set(MessageTemplate.objects.filter(company=company).values_list("language", flat=True))
    )
    for key in template_keys(company):
        for language in wanted:
            report.checked += 1
            try:
                message = compose(company, key, language, sample_context(company, language))
            except (TemplateProblem, MissingText) as exc:
                report.errors.append(f"{key} [{language}]: {exc}")
                report.lines.append(f"ERROR    {key:<16} {language}: {exc}")
                continue
            if message.fallback_note:
                report.fallbacks.append(f"{key} [{language}]: {message.fallback_note}")
                report.lines.append(f"FALLBACK {key:<16} {language}: {message.fallback_note}")
            else:
                report.lines.append(f"ok       {key:<16} {language}: {message.subject}")
    return report
