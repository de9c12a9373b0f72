"""Booking meetings without double booking, interpreters, and calendar files."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bizweek.accounts.models import Role, User
from bizweek.companies.models import Company
from bizweek.events.models import Event

from .models import Booking, Meeting, MeetingState, company_key, user_key

DAY = timedelta(hours=24)


def book(
    event: Event,
    *,
    seller: Company,
    buyer: Company,
    starts_at: datetime,
    request=None,  # noqa: ANN001
    needs_interpreter: bool = False,
    languages: str = "",
) -> Meeting:
    """Create a meeting and book both companies into its slot, or refuse with a clear reason.

    The Booking table's unique (participant, slot) constraint makes this safe under any
    number of concurrent bookings: the losing transaction gets an IntegrityError, which is
    turned into a message and leaves nothing behind.
    """
    ends_at = starts_at + timedelta(minutes=event.slot_minutes)
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                event=event,
                request=request,
                seller=seller,
                buyer=buyer,
                starts_at=starts_at,
                ends_at=ends_at,
                needs_interpreter=needs_interpreter,
                languages=languages,
            )
            Booking.objects.bulk_create(
                [
                    Booking(
                        meeting=meeting, participant=company_key(seller.pk), starts_at=starts_at
                    ),
                    Booking(
                        meeting=meeting, participant=company_key(buyer.pk), starts_at=starts_at
                    ),
                ]
            )
    except IntegrityError as error:
        busy = [
            str(company)
            for company in (seller, buyer)
            if Booking.objects.filter(
                participant=company_key(company.pk), starts_at=starts_at
            ).exists()
        ]
        raise ValidationError(
            _("%(names)s already has a meeting at that time; choose another time.")
            % {"names": " / ".join(busy) or _("A participant")}
        ) from error
    return meeting


def move(meeting: Meeting, starts_at: datetime, *, now: datetime | None = None) -> Meeting:
    """Rebook a meeting at another time, both companies (and its interpreter when free) at once.

    The same unique bookings as `book` guard it: if either company took the new slot
    meanwhile, nothing changes and the caller gets a clear message. An interpreter who is busy
    at the new time is released (the organizer assigns another). Reminders start over, and a
    meeting moved to less than a day ahead gets no 24-hour reminder.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if locked.state != MeetingState.SCHEDULED:
                raise ValidationError(_("This meeting was cancelled."))
            locked.bookings.all().delete()
            Booking.objects.bulk_create(
                [
                    Booking(meeting=locked, participant=company_key(cid), starts_at=starts_at)
                    for cid in (locked.seller_id, locked.buyer_id)
                ]
            )
            if locked.interpreter_id:
                try:
                    with transaction.atomic():
                        Booking.objects.create(
                            meeting=locked,
                            participant=user_key(locked.interpreter_id),
                            starts_at=starts_at,
                        )
                except IntegrityError:
                    locked.interpreter = None
            locked.starts_at = starts_at
            locked.ends_at = starts_at + timedelta(minutes=locked.event.slot_minutes)
            locked.sequence += 1
            locked.reminded_15m_at = None
            locked.reminded_24h_at = None if starts_at - now >= DAY else now
            locked.save()
    except IntegrityError as error:
        raise ValidationError(
            _("One of the companies already has a meeting at that time; choose another time.")
        ) from error
    return locked


def pair_meeting_starts(
    event: Event, a: Company, b: Company, exclude: Meeting | None = None
) -> list[datetime]:
    """When two companies already meet (scheduled meetings, either way round)."""
    qs = Meeting.objects.filter(event=event, state=MeetingState.SCHEDULED).filter(
        Q(seller=a, buyer=b) | Q(seller=b, buyer=a)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.values_list("starts_at", flat=True))


def cancel(meeting: Meeting, *, by: User) -> Meeting:
    if not (by.is_organizer or by.company_id in (meeting.seller_id, meeting.buyer_id)):
        raise PermissionDenied(_("This meeting belongs to other companies."))
    with transaction.atomic():
        meeting.bookings.all().delete()
        meeting.state = MeetingState.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["state", "sequence", "updated_at"])
    from bizweek.notifications.services import notify_company, notify_user

    for company in (meeting.seller, meeting.buyer):
        notify_company(company, "meeting_cancelled", meeting=meeting)
    if meeting.interpreter:
        notify_user(meeting.interpreter, "meeting_cancelled", meeting=meeting)
    return meeting


def interpreters_free_at(meeting: Meeting) -> QuerySet[User]:
    """Interpreters whose availability covers the meeting and who have no other meeting then
    (this meeting's own interpreter counts as free for it)."""
    from bizweek.matching.services import available_slots

    candidates = User.objects.filter(role=Role.INTERPRETER, is_active=True)
    if meeting.languages:
        candidates = candidates.filter(languages__icontains=meeting.languages)
    busy = set(
        Booking.objects.filter(starts_at=meeting.starts_at, participant__startswith="user:")
        .exclude(meeting=meeting)
        .values_list("participant", flat=True)
    )
    free = [
        user.pk
        for user in candidates
        if user_key(user.pk) not in busy
        and meeting.starts_at
        in available_slots(meeting.event, user=user, now=meeting.starts_at, include_booked=True)
    ]
    return User.objects.filter(pk__in=free).order_by("display_name")


def assign_interpreter(meeting: Meeting, interpreter: User | None, *, by: User) -> Meeting:
    if not by.is_organizer:
        raise PermissionDenied(_("Only organizers assign interpreters."))
    if interpreter is not None and interpreter.role != Role.INTERPRETER:
        raise ValidationError(_("%(name)s is not an interpreter.") % {"name": interpreter})
    if (
        interpreter is not None
        and not interpreters_free_at(meeting).filter(pk=interpreter.pk).exists()
    ):
        raise ValidationError(
            _("%(name)s is not available at that time or already interprets another meeting.")
            % {"name": interpreter}
        )
    try:
        with transaction.atomic():
            meeting.bookings.filter(participant__startswith="user:").delete()
            if interpreter is not None:
                Booking.objects.create(
                    meeting=meeting,
                    participant=user_key(interpreter.pk),
                    starts_at=meeting.starts_at,
                )
            meeting.interpreter = interpreter
            meeting.sequence += 1
            meeting.save(update_fields=["interpreter", "sequence", "updated_at"])
    except IntegrityError as error:
        raise ValidationError(
            _("%(name)s already interprets another meeting at that time.") % {"name": interpreter}
        ) from error
    if interpreter is not None:
        from bizweek.notifications.services import notify_user

        notify_user(interpreter, "interpreter_assigned", meeting=meeting)
    return meeting


def meetings_for(user: User, *, include_cancelled: bool = False) -> QuerySet[Meeting]:
    """The meetings a user takes part in: their company's, or those they interpret."""
    condition = Q(interpreter=user)
    if user.company_id:
        condition |= Q(seller_id=user.company_id) | Q(buyer_id=user.company_id)
    if not include_cancelled:
        condition &= Q(state=MeetingState.SCHEDULED)
    return (
        Meeting.objects.filter(condition)
        .select_related("seller", "buyer", "interpreter", "event")
        .order_by("starts_at")
    )


def meetings_on(event: Event, start: datetime, end: datetime) -> QuerySet[Meeting]:
    """The event's scheduled meetings starting in [start, end), for the organizer's day."""
    return (
        Meeting.objects.filter(
            event=event, state=MeetingState.SCHEDULED, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("seller", "buyer", "interpreter")
        .order_by("starts_at")
    )


def visible_meeting(user: User, pk: int) -> Meeting:
    """The meeting if this user may see it: Meeting.DoesNotExist or PermissionDenied if not."""
    meeting = Meeting.objects.select_related("seller", "buyer", "event", "request").get(pk=pk)
    if not can_see(user, meeting):
        raise PermissionDenied(_("This meeting belongs to other companies."))
    return meeting


def can_see(user: User, meeting: Meeting) -> bool:
    return (
        user.is_organizer
        or meeting.interpreter_id == user.pk
        or (
            user.company_id is not None and user.company_id in (meeting.seller_id, meeting.buyer_id)
        )
    )


def calendar_token(user: User) -> str:
    """The secret in a user's private calendar feed URL (created on first use)."""
    if not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(32)
        user.save(update_fields=["calendar_token"])
    return user.calendar_token


def reset_calendar_token(user: User) -> str:
    user.calendar_token = ""
    return calendar_token(user)


def upcoming_reminders(now: datetime | None = None) -> tuple[QuerySet[Meeting], QuerySet[Meeting]]:
    now = now or timezone.now()
    scheduled = Meeting.objects.filter(state=MeetingState.SCHEDULED, starts_at__gt=now)
    day = scheduled.filter(reminded_24h_at__isnull=True, starts_at__lte=now + timedelta(hours=24))
    soon = scheduled.filter(
        reminded_15m_at__isnull=True, starts_at__lte=now + timedelta(minutes=15)
    )
    return day, soon


def send_due_reminders(now: datetime | None = None) -> int:
    """Remind participants 24 h and 15 min before; each reminder is sent once."""
    from bizweek.notifications.services import notify_company, notify_user

    now = now or timezone.now()
    day, soon = upcoming_reminders(now)
    sent = 0
    for kind, qs, field in (
        ("reminder_15m", soon, "reminded_15m_at"),
        ("reminder_24h", day, "reminded_24h_at"),
    ):
        for meeting in qs.select_related("seller", "buyer", "interpreter"):
            # Mark first, in a conditional update, so two workers never both send it.
            if not Meeting.objects.filter(pk=meeting.pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            ):
                continue
            if field == "reminded_15m_at" and meeting.reminded_24h_at is None:
                Meeting.objects.filter(pk=meeting.pk).update(reminded_24h_at=now)
            if field == "reminded_24h_at" and meeting.starts_at - meeting.created_at < DAY:
                # Booked less than a day ahead: the booking's own notice was the reminder.
                continue
            for company in (meeting.seller, meeting.buyer):
                notify_company(company, kind, meeting=meeting, now=now)
            if meeting.interpreter:
                notify_user(meeting.interpreter, kind, meeting=meeting, now=now)
            sent += 1
    return sent
