"""Which event is on, and what is happening in it right now."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import AgendaItem, AgendaKind, Event

# Every page needs the current event (its time zone, phase, name), and it changes a few times
# a week: it is read from the cache, which every change to an event clears (below), in all
# workers when the cache is Redis. The timeout only bounds what a change made without signals
# (a queryset update, raw SQL) or by another process while the cache is local memory (a
# `bizweek demo --reset` beside `make run`) can leave stale.
CURRENT_EVENT_KEY = "bizweek:current-event"
CURRENT_EVENT_SECONDS = 60


def current_event(request: object | None = None) -> Event | None:
    """The event the site shows: the one marked current with the latest start.

    Given a request, the answer is kept on it, so middleware, views and templates share one
    lookup.
    """
    if request is not None and hasattr(request, "_bizweek_event"):
        return request._bizweek_event
    cached = cache.get(CURRENT_EVENT_KEY)
    if cached is None:
        event = Event.objects.filter(is_current=True).order_by("-starts_at").first()
        cache.set(CURRENT_EVENT_KEY, (event,), CURRENT_EVENT_SECONDS)
    else:
        (event,) = cached
    if request is not None:
        request._bizweek_event = event
    return event


@receiver(post_save, sender=Event)
@receiver(post_delete, sender=Event)
def _forget_current_event(**kwargs: object) -> None:
    # Now for this transaction's own reads, and after commit for everyone: a request that
    # cached the old row between the two would otherwise keep it until the timeout.
    cache.delete(CURRENT_EVENT_KEY)
    transaction.on_commit(lambda: cache.delete(CURRENT_EVENT_KEY))


def happening_now(event: Event, moment: datetime | None = None) -> list[AgendaItem]:
    """What is on now, ceremonies first (the home page leads with them while they are live)."""
    now = moment or timezone.now()
    items = list(event.agenda.filter(starts_at__lte=now, ends_at__gt=now))
    return sorted(items, key=lambda item: item.kind != AgendaKind.CEREMONY)


def coming_up(event: Event, moment: datetime | None = None, limit: int = 6) -> list[AgendaItem]:
    now = moment or timezone.now()
    return list(event.agenda.filter(starts_at__gt=now)[:limit])
