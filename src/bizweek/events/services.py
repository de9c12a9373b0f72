"""Which event is on, and what is happening in it right now."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .models import AgendaItem, Event


def current_event() -> Event | None:
    """The event the site shows: the one marked current with the latest start."""
    return Event.objects.filter(is_current=True).order_by("-starts_at").first()


def happening_now(event: Event, moment: datetime | None = None) -> list[AgendaItem]:
    now = moment or timezone.now()
    return list(event.agenda.filter(starts_at__lte=now, ends_at__gt=now))


def coming_up(event: Event, moment: datetime | None = None, limit: int = 6) -> list[AgendaItem]:
    now = moment or timezone.now()
    return list(event.agenda.filter(starts_at__gt=now)[:limit])
