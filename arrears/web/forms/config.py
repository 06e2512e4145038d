"""Forms of the configuration screens: the policy preview and upload, template preview and editing,
the sender account's test e-mail, and API tokens."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.documents.models import FIELDS
from arrears.documents.sandbox import MAX_TEMPLATE_CHARS, TemplateProblem, render

MAX_POLICY_FILE_BYTES = 256 * 1024


class PolicyPreviewForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))


class PolicyUploadForm(forms.Form):
    file = forms.FileField(label=_("Policy file (TOML)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_POLICY_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 256 kB: a policy file is a few kB."))
        return upload


class TemplatePreviewForm(forms.Form):
    key = forms.ChoiceField(label=_("Template"))
    language = forms.ChoiceField(label=_("Language"))
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=64,
        help_text=_("A customer id: their latest reminder fills the text. Empty: sample data."),
    )

    def __init__(self, *args: Any, keys: list[str], languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["key"]).choices = [(k, k) for k in keys]
        cast(forms.ChoiceField, self.fields["language"]).choices = languages


def render_draft(
    own: dict[str, str], defaults: dict[str, str], context: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Render texts as a notice would: opening and closing first (the body shows them), then subject
    and body. A field left empty uses the default. Returns (rendered, problems), both per field."""
    ctx = dict(context)
    rendered: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in ("opening", "closing", "subject", "body"):
        text = own.get(name) or defaults.get(name, "")
        try:
            rendered[name] = render(text, ctx, name=name)
        except TemplateProblem as exc:
            problems[name] = str(exc)
            rendered[name] = ""
        if name in ("opening", "closing"):
            ctx[name] = rendered[name]
    rendered["subject"] = " ".join(rendered["subject"].split())
    return rendered, problems


class TemplateTextForm(forms.Form):
    """A company's own texts for one key and language; an empty field uses the shipped default.
    Every field must render in the sandbox with a sample reminder: errors name the line."""

    subject = forms.CharField(label=_("Subject"), required=False, max_length=500)
    opening = forms.CharField(label=_("Opening"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    closing = forms.CharField(label=_("Closing"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    body = forms.CharField(label=_("Body"), required=False, widget=forms.Textarea(attrs={"rows": 14}))

    def __init__(self, *args: Any, context: dict[str, Any], defaults: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sample = context
        self.defaults = defaults
        for name in FIELDS:
            self.fields[name].widget.attrs.update({"maxlength": MAX_TEMPLATE_CHARS, "spellcheck": "false"})
            self.fields[name].widget.attrs.setdefault("placeholder", defaults.get(name, "")[:2000])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        own = {name: cleaned.get(name) or "" for name in FIELDS}
        _rendered, problems = render_draft(own, self.defaults, self.sample)
        for name, problem in problems.items():
            if own.get(name):
                self.add_error(name, problem)
            else:
                self.add_error(
                    None,
                    _("The default %(field)s does not work with your texts: %(problem)s")
                    % {"field": name, "problem": problem},
                )
        return cleaned


class SenderTestForm(forms.Form):
    to = forms.EmailField(label=_("Send a test e-mail to"))


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'billing export'."),
    )
