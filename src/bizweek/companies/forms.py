"""Forms for registering and editing a company, reviewing it and importing spreadsheets."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from bizweek.accounts.models import User
from bizweek.countries import country_choices
from bizweek.timezones import timezone_choices

from .models import Company, CompanyRole, Sector
from .services import DESCRIPTION_FIELDS, NAME_FIELDS, parse_hs_codes

# Each language is labelled in its own script, so a reader finds their own at a glance.
ENDONYMS = {"ko": "한국어", "zh_hans": "简体中文", "zh_hant": "繁體中文", "en": "English"}


def _language_of(field: str) -> str:
    return field.split("_", 1)[1]


class HSPickerInput(forms.TextInput):
    """A text field of HS codes that hs-picker.js turns into a search in the reader's language.

    Without JavaScript it stays a plain text field that accepts codes as people write them.
    """

    template_name = "companies/hs_picker.html"

    def __init__(self, multiple: bool = True) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false"})
        self.multiple = multiple

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["multiple"] = self.multiple
        context["widget"]["search_url"] = reverse("companies:hs_search")
        return context


class CompanyForm(forms.ModelForm):
    country = forms.ChoiceField(
        label=_("Country"), choices=lazy(lambda: [("", "—"), *country_choices()], list)
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    hs_codes = forms.CharField(
        label=_("HS codes"),
        required=False,
        help_text=_(
            "2, 4 or 6 digits, separated by spaces or commas, e.g. 8429 3304. "
            "Sellers: what you sell. Buyers: what you want to buy."
        ),
        widget=HSPickerInput(),
    )

    class Meta:
        model = Company
        fields = [
            "role",
            *NAME_FIELDS,
            *DESCRIPTION_FIELDS,
            "country",
            "city",
            "timezone",
            "sectors",
            "hs_codes",
            "company_size",
            "website",
            "contact_name",
            "contact_email",
            "contact_phone",
        ]
        widgets = {field: forms.Textarea(attrs={"rows": 3}) for field in DESCRIPTION_FIELDS}

    def __init__(self, *args, allow_role: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if allow_role:
            self.fields["role"].widget = forms.RadioSelect(choices=CompanyRole.choices)
        else:  # members edit their profile; only an organizer changes a company's role
            del self.fields["role"]
        name_label, description_label = _("Company name"), _("Description")
        for field in NAME_FIELDS:
            self.fields[field].label = f"{name_label} · {ENDONYMS[_language_of(field)]}"
            self.fields[field].required = False
        for field in DESCRIPTION_FIELDS:
            self.fields[field].label = f"{description_label} · {ENDONYMS[_language_of(field)]}"
            self.fields[field].required = False
        if self.instance.pk and not self.is_bound:
            self.initial["hs_codes"] = " ".join(
                self.instance.hs_codes.values_list("code", flat=True)
            )
        if not self.initial.get("timezone") and not self.instance.pk:
            self.initial["timezone"] = "Asia/Seoul"

    def name_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in NAME_FIELDS]

    def description_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in DESCRIPTION_FIELDS]

    def clean_hs_codes(self) -> list:
        codes, unknown = parse_hs_codes(self.cleaned_data.get("hs_codes", ""))
        if unknown:
            raise forms.ValidationError(
                _("Unknown HS code(s): %(codes)s"), params={"codes": ", ".join(unknown)}
            )
        return codes

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any((cleaned.get(field) or "").strip() for field in NAME_FIELDS):
            self.add_error(NAME_FIELDS[0], _("Enter the company name in at least one language."))
        return cleaned

    def company_data(self) -> dict:
        """The cleaned values in the shape companies.services expects."""
        fields = [field for field in self.Meta.fields if field in self.fields]
        return {field: self.cleaned_data[field] for field in fields}


class RegistrationForm(CompanyForm):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Your e-mail (for signing in)"), help_text=_("We send the approval here.")
    )
    language = forms.ChoiceField(label=_("Language for e-mails"), choices=settings.LANGUAGES)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        """No "already exists" here: registration must not reveal who has an account
        (`services.register_company` mails the owner instead)."""
        return User.objects.normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            user = User(
                email=cleaned.get("email", ""), display_name=cleaned.get("display_name", "")
            )
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the company)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class MemberForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[("companies", _("Companies")), ("products", _("Products"))],
        initial="companies",
    )
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (write nothing)"), required=False, initial=True
    )
    invite = forms.BooleanField(
        label=_("Invite the contacts"),
        required=False,
        help_text=_(
            "Each contact e-mail gets an account; ticked, each is also sent a link to set a "
            "password, in the company's language."
        ),
    )

    def clean_file(self):  # noqa: ANN201
        upload = self.cleaned_data["file"]
        if upload.size > settings.BIZWEEK_MAX_SPREADSHEET_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB; the limit is %(limit)s MB)."),
                params={
                    "size": round(upload.size / 2**20, 1),
                    "limit": round(settings.BIZWEEK_MAX_SPREADSHEET_BYTES / 2**20, 1),
                },
            )
        return upload
