"""An .ics file per show, in the reader's time zone and language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .models import BroadcastSession, SessionState


def ics(session: BroadcastSession, request: HttpRequest) -> bytes:
    tz = ZoneInfo(timezone.get_current_timezone_name())
    url = settings.SITE_URL + reverse("studio:watch", args=[session.pk])
    calendar = Calendar()
    calendar.add("prodid", "-//Bizweek//Live PR studio//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"studio-{session.pk}@bizweek")
    event.add("summary", session.title)
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("dtstamp", timezone.now())
    event.add("url", url)
    event.add("location", url)
    event.add("description", f"{session.description}\n{url}".strip())
    if session.state == SessionState.CANCELLED:  # calendars strike it through or drop it
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
