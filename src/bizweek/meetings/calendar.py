"""iCalendar files: one per meeting, and a private feed of all of a user's meetings."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import translation
from icalendar import Calendar, Event

from bizweek.accounts.models import User
from bizweek.core.siteurl import site_url

from .models import Meeting, MeetingState


def _event(meeting: Meeting, user: User) -> Event:
    tz = ZoneInfo(user.timezone)
    other = meeting.buyer if user.company_id == meeting.seller_id else meeting.seller
    with translation.override(user.language):
        title = translation.gettext("Meeting: %(seller)s × %(buyer)s") % {
            "seller": meeting.seller.name,
            "buyer": meeting.buyer.name,
        }
    url = site_url() + reverse("meetings:detail", args=[meeting.pk])
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@bizweek")
    event.add("summary", title)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("dtstamp", meeting.updated_at)
    event.add("sequence", meeting.sequence)
    event.add("url", url)
    event.add("description", f"{other.name}\n{url}")
    event.add("location", url)
    event.add("status", "CANCELLED" if meeting.state == MeetingState.CANCELLED else "CONFIRMED")
    return event


def _calendar(meetings: Iterable[Meeting], user: User, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Bizweek//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", user.timezone)
    for meeting in meetings:
        calendar.add_component(_event(meeting, user))
    calendar.add_missing_timezones()  # VTIMEZONE with the zone's DST rules
    return calendar.to_ical()


def meeting_ics(meeting: Meeting, user: User) -> bytes:
    return _calendar([meeting], user, "Bizweek")


def feed_ics(user: User) -> bytes:
    from .services import meetings_for

    return _calendar(meetings_for(user, include_cancelled=True), user, "Bizweek")
