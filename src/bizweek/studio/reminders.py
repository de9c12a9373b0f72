"""Reminders before a show: viewers subscribe on the schedule or the show's page and get an
in-app notification and an e-mail in their own language and time zone shortly before it starts.

Sent with the meetings' reminders (meetings/jobs.py `run_once`: the jobs thread of `bizweek
serve`, or `bizweek reminders --loop`), at most once per subscription.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from bizweek.accounts.models import User

from .models import BroadcastSession, SessionState, ShowReminder

# How long before the start the reminder goes out: long enough to find a quiet place, short
# enough not to be forgotten again. A subscription made later than this is reminded at once.
LEAD = timedelta(minutes=15)


def is_subscribed(session: BroadcastSession, user: User) -> bool:
    return bool(
        user.is_authenticated and ShowReminder.objects.filter(session=session, user=user).exists()
    )


def subscribed_ids(user: User, sessions: list[BroadcastSession]) -> set[int]:
    """The shows of a list (the schedule) the user asked to be reminded of: one query."""
    if not user.is_authenticated:
        return set()
    return set(
        ShowReminder.objects.filter(user=user, session__in=sessions).values_list(
            "session_id", flat=True
        )
    )


def set_reminder(session: BroadcastSession, user: User, wanted: bool) -> bool:
    """Subscribe or unsubscribe; a show that has started or ended takes no new reminder."""
    if not wanted:
        ShowReminder.objects.filter(session=session, user=user).delete()
        return False
    if session.state != SessionState.SCHEDULED or session.starts_at <= timezone.now():
        return is_subscribed(session, user)
    ShowReminder.objects.get_or_create(session=session, user=user)
    return True


def send_due(now: datetime | None = None) -> int:
    """Remind every subscriber of a show starting within LEAD; each subscription once."""
    from bizweek.notifications.services import notify_user

    now = now or timezone.now()
    due = (
        ShowReminder.objects.filter(
            sent_at__isnull=True,
            session__state=SessionState.SCHEDULED,
            session__starts_at__lte=now + LEAD,
            session__starts_at__gt=now,
            user__is_active=True,
        )
        .select_related("session", "user")
        .order_by("pk")
    )
    sent = 0
    for reminder in due:
        with transaction.atomic():
            # Claimed first: two processes running the jobs never remind twice.
            claimed = ShowReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(
                sent_at=now
            )
            if not claimed:
                continue
            notify_user(reminder.user, "show_reminder", now=now, show=reminder.session)
        sent += 1
    return sent


@task()
def tell_subscribers(session_id: int, kind: str) -> int:
    """Tell everyone who asked for a reminder that the show is cancelled (`show_cancelled`) or
    back on (`show_restored`); a job, since a popular show has hundreds of subscribers, each
    mailed. Skipped if the show changed again before the job ran (the later job tells)."""
    from bizweek.notifications.services import notify_user

    wanted = SessionState.CANCELLED if kind == "show_cancelled" else SessionState.SCHEDULED
    session = BroadcastSession.objects.filter(pk=session_id, state=wanted).first()
    if session is None:
        return 0
    told = 0
    subscriptions = session.reminders.filter(user__is_active=True).select_related("user")
    for reminder in subscriptions.order_by("pk"):
        notify_user(reminder.user, kind, show=session)
        told += 1
    return told
