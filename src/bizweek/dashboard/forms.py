from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PeriodForm(forms.Form):
    since = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data


class ReportForm(PeriodForm):
    lang = forms.ChoiceField(label=_("Language"), required=False, choices=settings.LANGUAGES)
