"""What a person's home page (/accounts/me/) leads with, per role: what needs doing first.

It gathers from the other apps through their services; the view only renders it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from .models import Role, User


def _by_day(meetings: list, user: User) -> list[tuple[date, list]]:
    days: dict[date, list] = defaultdict(list)
    for meeting in meetings:
        days[timezone.localtime(meeting.starts_at).date()].append(meeting)
    return sorted(days.items())


def _with_other(meeting, user: User):  # noqa: ANN001
    """The other side, as the reader sees it: the buyer for the seller, and so on."""
    if user.company_id == meeting.seller_id:
        meeting.other = meeting.buyer
    elif user.company_id == meeting.buyer_id:
        meeting.other = meeting.seller
    else:  # an interpreter or organizer: show the buyer's clock next to their own
        meeting.other = meeting.buyer
    return meeting


def meetings_overview(user: User, now: datetime) -> dict:
    """The next meeting, today's, and the rest of the coming week grouped by day."""
    from bizweek.meetings.services import meetings_for
    from bizweek.timezones import relative_label

    upcoming = [
        _with_other(m, user)
        for m in meetings_for(user).filter(ends_at__gt=now, starts_at__lt=now + timedelta(days=7))
    ]
    today = timezone.localtime(now).date()
    next_meeting = next((m for m in upcoming if m.starts_at > now - timedelta(minutes=5)), None)
    if next_meeting is not None:
        next_meeting.when = relative_label(
            next_meeting.starts_at, timezone.get_current_timezone_name(), now
        )
    todays = [m for m in upcoming if timezone.localtime(m.starts_at).date() == today]
    later = [m for m in upcoming if timezone.localtime(m.starts_at).date() > today]
    return {
        "next_meeting": next_meeting,
        "today_meetings": todays,
        "week_days": _by_day(later, user),
    }


def company_home(user: User, now: datetime) -> dict:
    from bizweek.matching.services import requests_awaiting

    context = meetings_overview(user, now)
    company = user.company
    if company.is_approved:
        to_answer = requests_awaiting(company)
        for item in to_answer:
            item.other = (
                item.to_company if item.from_company_id == company.pk else item.from_company
            )
        context["to_answer"] = to_answer
    return context


def host_home(user: User, now: datetime) -> dict:
    """Until the studio app lands, a host's shows are the agenda's live PR sessions."""
    from bizweek.events.models import AgendaKind
    from bizweek.events.services import current_event

    event = current_event()
    if event is None:
        return {}
    shows = list(
        event.agenda.filter(kind=AgendaKind.PR_SESSION, ends_at__gt=now).order_by("starts_at")[:6]
    )
    return {"next_show": shows[0] if shows else None, "later_shows": shows[1:]}


def interpreter_home(user: User, now: datetime) -> dict:
    from bizweek.meetings.services import meetings_for

    context = meetings_overview(user, now)
    assignments = [_with_other(m, user) for m in meetings_for(user).filter(ends_at__gt=now)]
    context["assignment_days"] = _by_day(assignments, user)
    return context


def organizer_home(user: User, now: datetime) -> dict:
    from bizweek.companies.services import review_queue
    from bizweek.events.services import current_event
    from bizweek.matching.services import unplaced_requests
    from bizweek.meetings.services import meetings_on
    from bizweek.notifications.services import undelivered_mail

    queue = review_queue()
    event = current_event()
    local_today = timezone.localtime(now)
    start = local_today.replace(hour=0, minute=0, second=0, microsecond=0)
    context: dict = {
        "pending_count": queue.count(),
        "pending": list(queue[:5]),
        "undelivered": list(undelivered_mail(since=now - timedelta(days=7))[:10]),
        "undelivered_count": undelivered_mail(since=now - timedelta(days=7)).count(),
    }
    if event is not None:
        todays = meetings_on(event, start, start + timedelta(days=1))
        context["today_meetings"] = [_with_other(m, user) for m in todays[:TODAY_LIMIT]]
        context["today_more"] = max(0, todays.count() - TODAY_LIMIT)
        context["unplaced"] = list(unplaced_requests(event)[:10])
        context["unplaced_count"] = unplaced_requests(event).count()
    return context


TODAY_LIMIT = 30  # the organizer's list; the rest are counted


def visitor_home(user: User, now: datetime) -> dict:
    from bizweek.events.services import coming_up, current_event, happening_now

    event = current_event()
    if event is None:
        return {}
    return {"on_now": happening_now(event, now), "coming_up": coming_up(event, now, limit=4)}


def build(user: User, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    if user.is_organizer:
        return organizer_home(user, now)
    if user.company_id is not None:
        return company_home(user, now)
    if user.role == Role.INTERPRETER:
        return interpreter_home(user, now)
    if user.role == Role.HOST:
        return {**host_home(user, now), **visitor_home(user, now)}
    return visitor_home(user, now)
