"""Reminders to companies with no meeting booked (and, with the consultation log, to those who
have not filed one), in each person's language, at most once every two days per person and kind.

`send_nudges` runs as a django-tasks job, enqueued by the serving process's periodic loop
(meetings/jobs.py) and by `bizweek nudges`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from bizweek.accounts.models import User
from bizweek.audit import services as audit
from bizweek.companies.models import CompanyStatus
from bizweek.events.models import Event
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import ConsultationLog, Meeting, MeetingState
from bizweek.notifications.services import notify_user

from .consultations import HELD
from .models import Nudge, NudgeKind, NudgeSettings

INTERVAL = timedelta(days=2)


def enabled(event: Event | None) -> bool:
    if event is None:
        return False
    return not NudgeSettings.objects.filter(event=event, enabled=False).exists()


def switch(event: Event, *, on: bool, by: User) -> None:
    if not by.has_perm("dashboard.change_nudges"):
        raise PermissionDenied(_("Only organizers can switch reminders."))
    NudgeSettings.objects.update_or_create(event=event, defaults={"enabled": on})
    audit.record(by, "nudges.switched", event, enabled=on)


def _recently_nudged(kind: str, now: datetime) -> Exists:
    return Exists(Nudge.objects.filter(user=OuterRef("pk"), kind=kind, sent_at__gt=now - INTERVAL))


def no_meeting_recipients(event: Event, now: datetime) -> list[User]:
    """Active members of approved companies that have no scheduled meeting in the event."""
    booked = Meeting.objects.filter(event=event, state=MeetingState.SCHEDULED).filter(
        Q(seller=OuterRef("company")) | Q(buyer=OuterRef("company"))
    )
    return list(
        User.objects.filter(
            is_active=True, company__isnull=False, company__status=CompanyStatus.APPROVED
        )
        .filter(~Exists(booked), ~_recently_nudged(NudgeKind.NO_MEETING, now))
        .select_related("company")
    )


def unfiled_log_recipients(event: Event, now: datetime) -> list[User]:
    """Active members of companies with a held meeting but no consultation log of their own,
    while logs can still be filed."""
    if now > meeting_services.report_deadline(event):
        return []
    own_log = ConsultationLog.objects.filter(
        meeting=OuterRef("pk"), company=OuterRef(OuterRef("company"))
    )
    unfiled = (
        Meeting.objects.filter(event=event, state=MeetingState.SCHEDULED, outcome__outcome__in=HELD)
        .filter(Q(seller=OuterRef("company")) | Q(buyer=OuterRef("company")))
        .filter(~Exists(own_log))
    )
    return list(
        User.objects.filter(is_active=True, company__isnull=False)
        .filter(Exists(unfiled), ~_recently_nudged(NudgeKind.UNFILED_LOG, now))
        .select_related("company")
    )


def run(event: Event | None, now: datetime | None = None) -> int:
    """Send the nudges due now; returns how many people were reminded. "No meeting" reminders
    stop when matching ends; log reminders go on until the reporting deadline, which an event
    may set later than that (`unfiled_log_recipients` checks it)."""
    now = now or timezone.now()
    if event is None or not enabled(event):
        return 0
    sent = 0
    url = reverse("matching:recommendations")
    # Booking reminders only while meetings can be booked; log reminders until the reporting
    # deadline, which an organizer may set after the end of matching.
    booking = no_meeting_recipients(event, now) if event.matching_is_open(now) else []
    for user in booking:
        notify_user(user, "nudge_no_meeting", company=user.company, event=event, url=url)
        Nudge.objects.create(event=event, user=user, kind=NudgeKind.NO_MEETING)
        sent += 1
    url = reverse("meetings:mine")
    for user in unfiled_log_recipients(event, now):
        notify_user(user, "nudge_unfiled_log", company=user.company, event=event, url=url)
        Nudge.objects.create(event=event, user=user, kind=NudgeKind.UNFILED_LOG)
        sent += 1
    return sent


@task()
def send_nudges() -> int:
    from bizweek.events.services import current_event

    return run(current_event())
