from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from bizweek.companies.models import Company, CompanyRole

from . import services


def _figures() -> dict[str, int]:
    approved = Company.objects.approved()
    return approved.aggregate(
        sellers=Count("pk", filter=Q(role=CompanyRole.SELLER)),
        buyers=Count("pk", filter=Q(role=CompanyRole.BUYER)),
        countries=Count("country", distinct=True),
    )


def home(request: HttpRequest) -> HttpResponse:
    event = services.current_event(request)
    now = timezone.now()
    context = {"event": event, "now": now, "figures": _figures()}
    if event is not None:
        context.update(
            phase=event.phase_at(now),
            timeline=event.timeline(),
            happening_now=services.happening_now(event, now),
            coming_up=services.coming_up(event, now),
        )
    return render(request, "events/home.html", context)
