"""Which event is on, and what is happening in it right now."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .models import AgendaItem, Event


def current_event(request: object | None = None) -> Event | None:
    """The event the site shows: the one marked current with the latest start.

    Given a request, the answer is kept on it, so middleware, views and templates share one
    query.
    """
    if request is not None and hasattr(request, "_bizweek_event"):
        return request._bizweek_event
    event = Event.objects.filter(is_current=True).order_by("-starts_at").first()
    if request is not None:
        request._bizweek_event = event
    return event


def happening_now(event: Event, moment: datetime | None = None) -> list[AgendaItem]:
    now = moment or timezone.now()
    return list(event.agenda.filter(starts_at__lte=now, ends_at__gt=now))


def coming_up(event: Event, moment: datetime | None = None, limit: int = 6) -> list[AgendaItem]:
    now = moment or timezone.now()
    return list(event.agenda.filter(starts_at__gt=now)[:limit])
