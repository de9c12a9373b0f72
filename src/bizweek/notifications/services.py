"""Tell people what happened: an in-app notification and an e-mail, in their own language."""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from bizweek.accounts.models import User
from bizweek.mail import send_templated_mail
from bizweek.timezones import dual_label, relative_label

from .models import Notification

KINDS = {
    "request_received",
    "request_accepted",
    "request_declined",
    "request_changed",
    "request_cancelled",
    "meeting_cancelled",
    "interpreter_assigned",
    "reminder_24h",
    "reminder_15m",
    "meeting_scheduled",
    "meeting_no_show",
    "nudge_no_meeting",  # dashboard/nudges.py
    "nudge_unfiled_log",
    "move_proposed",
    "move_accepted",
    "move_declined",
    "message_received",
    "show_reminder",  # studio/reminders.py
    "show_cancelled",
    "show_restored",
}


def _context(user: User, now: datetime, **objects: object) -> dict:
    """What the templates need, with times in the recipient's zone next to the other side's."""
    context: dict = {"user": user, **objects}
    request, meeting = objects.get("request"), objects.get("meeting")
    if meeting is not None:
        other = meeting.buyer if user.company_id == meeting.seller_id else meeting.seller
        context["other"] = other
        context["when"] = dual_label(meeting.starts_at, user.timezone, other.timezone)
        context["minutes_left"] = max(1, math.ceil((meeting.starts_at - now).total_seconds() / 60))
        context["meeting_url"] = reverse("meetings:detail", args=[meeting.pk])
        context.setdefault("url", context["meeting_url"])  # a caller may link elsewhere
    if request is not None:
        other = (
            request.to_company
            if user.company_id == request.from_company_id
            else request.from_company
        )
        context.setdefault("other", other)
        context["times"] = [
            dual_label(slot.starts_at, user.timezone, other.timezone)
            for slot in request.slots.filter(is_current=True).order_by("starts_at")
        ]
        context.setdefault("url", reverse("matching:request", args=[request.pk]))
    show = objects.get("show")
    if show is not None:  # a live show (studio): its page, its start in the reader's calendar
        context["title"] = show.title
        context["when"] = relative_label(show.starts_at, user.timezone, now)
        context["minutes_left"] = max(1, math.ceil((show.starts_at - now).total_seconds() / 60))
        context["url"] = reverse("studio:watch", args=[show.pk])
    move = objects.get("move")
    if move is not None and meeting is not None:
        context["times"] = [
            dual_label(datetime.fromisoformat(value), user.timezone, context["other"].timezone)
            for value in move.times
        ]
    return context


def notify_user(
    user: User,
    kind: str,
    *,
    email: bool = True,
    now: datetime | None = None,
    **objects: object,
) -> Notification:
    """`now` is the moment the text speaks from ('today at 14:00'); reminders pass theirs."""
    assert kind in KINDS, kind
    now = now or timezone.now()
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.timezone),
    ):
        context = _context(user, now, **objects)  # city names in the reader's language
        meeting = objects.get("meeting")
        if meeting is not None:
            context["when_relative"] = relative_label(meeting.starts_at, user.timezone, now)
        title = " ".join(render_to_string(f"notifications/{kind}_subject.txt", context).split())
        # The in-app text leaves out the address line: the list links it with a label.
        body = render_to_string(
            f"notifications/{kind}_body.txt", {**context, "in_app": True}
        ).strip()
    notification = Notification.objects.create(
        user=user, kind=kind, title=title[:300], body=body, url=context.get("url", "")
    )
    if email:
        attachments = []
        meeting = objects.get("meeting")
        if meeting is not None and kind in {
            "request_accepted",
            "interpreter_assigned",
            "reminder_24h",
        }:
            from bizweek.meetings.calendar import meeting_ics

            attachments.append(("meeting.ics", meeting_ics(meeting, user), "text/calendar"))
        delivered = send_templated_mail(
            user.email, f"notifications/{kind}", context, user.language, attachments=attachments
        )
        if not delivered and user.email:
            # Kept for the organizer's home page: someone missed news by mail.
            notification.mail_failed = True
            notification.save(update_fields=["mail_failed"])
    return notification


def notify_company(company, kind: str, **objects: object) -> list[Notification]:  # noqa: ANN001
    return [
        notify_user(member, kind, **objects)  # type: ignore[arg-type]
        for member in company.members.filter(is_active=True)
    ]


def unread_count(user: User) -> int:
    return user.notifications.filter(read_at__isnull=True).count()


def mark_read(user: User, ids: list[int] | None = None) -> int:
    qs = user.notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def undelivered_mail(since: datetime | None = None) -> QuerySet[Notification]:
    """Notifications whose e-mail copy failed, newest first (for the organizer)."""
    qs = Notification.objects.filter(mail_failed=True).select_related("user")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs.order_by("-created_at")
