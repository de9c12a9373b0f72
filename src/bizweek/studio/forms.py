"""The organizer's show form: titles in every language, category, times in the event's zone."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizweek.accounts.models import Role, User
from bizweek.companies.forms import ENDONYMS

from .models import BroadcastSession

LANG_SUFFIXES = ("ko", "zh_hans", "zh_hant", "en")
# The longest show we accept: a full-day ceremony block; longer is almost surely a typo.
MAX_SHOW = timedelta(hours=12)
TEXT_FIELDS = [f"{name}_{s}" for name in ("title", "description") for s in LANG_SUFFIXES]


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the view activates the event's time zone."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class ShowForm(forms.ModelForm):
    class Meta:
        model = BroadcastSession
        fields = [*TEXT_FIELDS, "category", "starts_at", "ends_at", "host"]
        widgets = {
            **{f"description_{s}": forms.Textarea(attrs={"rows": 3}) for s in LANG_SUFFIXES},
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        title_label, description_label = _("Title"), _("Description")
        for suffix in LANG_SUFFIXES:
            self.fields[f"title_{suffix}"].label = f"{title_label} · {ENDONYMS[suffix]}"
            self.fields[f"title_{suffix}"].required = False
            self.fields[f"description_{suffix}"].label = f"{description_label} · {ENDONYMS[suffix]}"
            self.fields[f"description_{suffix}"].required = False
        self.fields["title_zh_hant"].help_text = _(
            "Left empty, it is converted from the Simplified Chinese text."
        )
        # Hosts are people with the show-host role; keep the current one even if it changed.
        current = self.instance.host_id if self.instance.pk else None
        self.fields["host"].queryset = User.objects.filter(
            Q(role=Role.HOST, is_active=True) | Q(pk=current)
        ).order_by("display_name", "email")

    def language_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(language, title, description) side by side, as in the booth's product editor."""
        return [(ENDONYMS[s], self[f"title_{s}"], self[f"description_{s}"]) for s in LANG_SUFFIXES]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any((cleaned.get(f"title_{s}") or "").strip() for s in LANG_SUFFIXES):
            self.add_error("title_ko", _("Enter the show's title in at least one language."))
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", _("The show must end after it starts."))
            elif ends - starts > MAX_SHOW:
                self.add_error("ends_at", _("A show may last at most 12 hours."))
        return cleaned

    def save(self, commit: bool = True) -> BroadcastSession:
        session = super().save(commit=False)
        # A text the organizer typed is theirs; an empty Chinese variant is derived again.
        session.mark_written([f for f in TEXT_FIELDS if f in self.changed_data])
        if commit:
            session.save()
        return session
