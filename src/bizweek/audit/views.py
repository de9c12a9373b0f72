"""The organizer's searchable audit log."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import services


class AuditSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *services.ACTIONS.items()]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = services.search(
        request.user,
        q=filters.get("q", ""),
        action=filters.get("action", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    ).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.label = services.ACTIONS.get(entry.action, entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
