"""Booking meetings without double booking, interpreters, and calendar files."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bizweek.accounts.models import Role, User
from bizweek.audit import services as audit
from bizweek.companies.models import Company
from bizweek.events.models import Event

from .models import (
    NOT_HAPPENED,
    Attendance,
    Booking,
    ChatMessage,
    ConnectionCheck,
    ConsultationLog,
    ExchangeRate,
    LogCurrency,
    Meeting,
    MeetingOutcome,
    MeetingPolicy,
    MeetingState,
    Outcome,
    RoomRole,
    SharedFile,
    company_key,
    user_key,
)

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
    """When two companies already meet (scheduled meetings, either way round). A meeting
    that did not take place (a no-show, or "it didn't happen") does not count, so the pair
    can ask for another time, even on the same day."""
    qs = (
        Meeting.objects.filter(event=event, state=MeetingState.SCHEDULED)
        .filter(Q(seller=a, buyer=b) | Q(seller=b, buyer=a))
        .exclude(outcome__outcome__in=NOT_HAPPENED)
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
    user.calendar_token = ""  # cleared, then replaced by a new random token  # nosec B105
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


# --- Rooms: who may enter, when they open ----------------------------------------------------


def policy(event: Event) -> MeetingPolicy:
    """The event's room and log rules (an unsaved row with the defaults when none was set)."""
    try:
        return event.meeting_policy
    except MeetingPolicy.DoesNotExist:
        return MeetingPolicy(event=event)


def room_role(user: User, meeting: Meeting) -> str | None:
    """The part the user plays in the meeting's room, or None when they may not enter.

    Company members and the assigned interpreter take part; organizers observe."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.company_id is not None and user.company_id == meeting.seller_id:
        return RoomRole.SELLER
    if user.company_id is not None and user.company_id == meeting.buyer_id:
        return RoomRole.BUYER
    if meeting.interpreter_id is not None and meeting.interpreter_id == user.pk:
        return RoomRole.INTERPRETER
    if user.is_organizer:
        return RoomRole.OBSERVER
    return None


def room_opens_at(meeting: Meeting) -> datetime:
    return meeting.starts_at - timedelta(minutes=policy(meeting.event).room_opens_minutes)


def room_closes_at(meeting: Meeting) -> datetime:
    """The end of the slot, plus the extension if one was granted."""
    return meeting.ends_at + timedelta(minutes=meeting.extended_minutes)


def room_state(meeting: Meeting, now: datetime | None = None) -> str:
    """'cancelled', 'early', 'open' or 'over': whether the room can be entered now."""
    now = now or timezone.now()
    if meeting.state != MeetingState.SCHEDULED:
        return "cancelled"
    if now < room_opens_at(meeting):
        return "early"
    if now >= room_closes_at(meeting):
        return "over"
    return "open"


def peer_info(attendance: Attendance) -> dict:
    """How a person in the room is shown to the others (peer id = their attendance id)."""
    user = attendance.user
    info = {"id": attendance.pk, "name": str(user), "role": attendance.role, "company": ""}
    if attendance.company is not None:
        info["company"] = attendance.company.name
    if attendance.role == RoomRole.INTERPRETER:
        info["languages"] = attendance.meeting.languages or user.languages
    return info


def present_attendances(meeting: Meeting) -> list[Attendance]:
    """Every open attendance of the room (one per connection, in any process), oldest first."""
    return list(
        Attendance.objects.filter(meeting=meeting, left_at__isnull=True)
        .select_related("user", "company", "meeting")
        .order_by("pk")
    )


def peer_channel(meeting_id: int, peer_id: int) -> str | None:
    """The channel of a peer present in this meeting's room, or None (gone, or elsewhere)."""
    return (
        Attendance.objects.filter(pk=peer_id, meeting_id=meeting_id, left_at__isnull=True)
        .values_list("channel_name", flat=True)
        .first()
    )


def chat_history(meeting: Meeting, limit: int = 200) -> list[dict]:
    messages = ChatMessage.objects.filter(meeting=meeting).select_related("author")
    return [chat_payload(message) for message in list(messages.order_by("-pk")[:limit])[::-1]]


def chat_payload(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "author": str(message.author) if message.author else "",
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def next_slot_busy(meeting: Meeting) -> bool:
    """Whether a company or the interpreter has another meeting starting within the
    extension after this one (then the room may not run over)."""
    extension = timedelta(minutes=policy(meeting.event).extension_minutes)
    end = room_closes_at(meeting)
    participants = [company_key(meeting.seller_id), company_key(meeting.buyer_id)]
    if meeting.interpreter_id:
        participants.append(user_key(meeting.interpreter_id))
    return (
        Booking.objects.filter(
            participant__in=participants,
            starts_at__gte=end - timedelta(seconds=1),
            starts_at__lt=end + extension,
        )
        .exclude(meeting=meeting)
        .exists()
    )


def can_extend(meeting: Meeting, now: datetime | None = None) -> bool:
    """ "+5 minutes" is offered only once, in the last minutes of the slot, and only when
    neither company nor the interpreter has a meeting in the next slot."""
    now = now or timezone.now()
    return (
        meeting.state == MeetingState.SCHEDULED
        and meeting.extended_minutes == 0
        and room_closes_at(meeting) - timedelta(minutes=5) <= now < room_closes_at(meeting)
        and not next_slot_busy(meeting)
    )


def extend(meeting: Meeting, *, by: User, now: datetime | None = None) -> Meeting:
    """Keep the room open for the event's extension (5 minutes by default)."""
    if room_role(by, meeting) in (None, RoomRole.OBSERVER):
        raise PermissionDenied(_("Only participants can extend the meeting."))
    if not can_extend(meeting, now):
        raise ValidationError(
            _(
                "The meeting cannot be extended: a participant has another meeting next, "
                "or it was already extended."
            )
        )
    minutes = policy(meeting.event).extension_minutes
    Meeting.objects.filter(pk=meeting.pk, extended_minutes=0).update(extended_minutes=minutes)
    meeting.refresh_from_db(fields=["extended_minutes"])
    return meeting


TOWER_GROUP = "meetings.tower"


def meeting_status(
    meeting: Meeting, now: datetime | None = None, roles: set[str] | None = None
) -> str:
    """The control tower's word for a meeting right now: waiting, one_side, both_in,
    interpreter_in (both companies and the interpreter), ended, or the outcome once decided.
    `roles`: the roles present, when the caller has just read them."""
    now = now or timezone.now()
    outcome = outcome_of(meeting)
    if outcome is not None:
        return outcome.outcome
    if now >= room_closes_at(meeting):
        return "ended"
    if roles is None:
        roles = set(
            Attendance.objects.filter(meeting=meeting, left_at__isnull=True).values_list(
                "role", flat=True
            )
        )
    companies = {RoomRole.SELLER, RoomRole.BUYER} & roles
    if len(companies) == 2:
        return "interpreter_in" if RoomRole.INTERPRETER in roles else "both_in"
    if companies:
        return "one_side"
    return "waiting"


def current_slot_meetings(event: Event, now: datetime | None = None) -> QuerySet[Meeting]:
    """Meetings whose room is open now or opens soon (the current slot, as the tower shows it)."""
    now = now or timezone.now()
    rules = policy(event)
    return (
        Meeting.objects.filter(
            event=event,
            state=MeetingState.SCHEDULED,
            starts_at__lte=now + timedelta(minutes=rules.room_opens_minutes),
            ends_at__gt=now - timedelta(minutes=rules.extension_minutes),
        )
        .select_related("seller", "buyer", "interpreter", "event")
        .order_by("starts_at", "pk")
    )


def record_check(user: User, *, camera: bool, microphone: bool, relay: bool) -> ConnectionCheck:
    """Keep a connection test's result (`relay`: a connection through TURN when TURN is
    configured, otherwise a direct one)."""
    return ConnectionCheck.objects.create(
        user=user, camera=bool(camera), microphone=bool(microphone), relay=bool(relay)
    )


def check_overview(event: Event) -> list[dict]:
    """Everyone who has a scheduled meeting in the event, with their latest connection test
    (None when they never tried), those who have not passed first."""
    meetings = Meeting.objects.filter(event=event, state=MeetingState.SCHEDULED)
    companies = set(meetings.values_list("seller_id", flat=True)) | set(
        meetings.values_list("buyer_id", flat=True)
    )
    people = (
        User.objects.filter(
            Q(company_id__in=companies) | Q(interpreted_meetings__in=meetings), is_active=True
        )
        .distinct()
        .select_related("company")
    )
    latest: dict[int, ConnectionCheck] = {}
    for check in ConnectionCheck.objects.filter(user__in=people).order_by("checked_at"):
        latest[check.user_id] = check
    rows = [{"user": person, "check": latest.get(person.pk)} for person in people]
    rows.sort(key=lambda row: (bool(row["check"] and row["check"].passed), str(row["user"])))
    return rows


# --- Attendance and outcome ------------------------------------------------------------------


def record_join(
    meeting: Meeting, user: User, *, channel_name: str = "", now: datetime | None = None
) -> Attendance:
    """A person's WebSocket entered the room: open an attendance interval."""
    role = room_role(user, meeting)
    if role is None:
        raise PermissionDenied(_("You are not a participant of this meeting."))
    company_id = user.company_id if role in (RoomRole.SELLER, RoomRole.BUYER) else None
    return Attendance.objects.create(
        meeting=meeting,
        user=user,
        role=role,
        company_id=company_id,
        channel_name=channel_name,
        joined_at=now or timezone.now(),
    )


def record_leave(attendance_id: int, *, now: datetime | None = None) -> None:
    """The WebSocket closed: end its interval (once; a second call changes nothing)."""
    Attendance.objects.filter(pk=attendance_id, left_at__isnull=True).update(
        left_at=now or timezone.now()
    )


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def presence(meeting: Meeting, role: str, *, until: datetime) -> list[tuple[datetime, datetime]]:
    """When anyone of one side (seller, buyer, interpreter) was in the room, merged, within
    the slot (open intervals count until `until`)."""
    start, end = room_opens_at(meeting), min(until, room_closes_at(meeting))
    intervals = []
    for joined, left in Attendance.objects.filter(meeting=meeting, role=role).values_list(
        "joined_at", "left_at"
    ):
        joined, left = max(joined, start), min(left or until, end)
        if left > joined:
            intervals.append((joined, left))
    return _merged(intervals)


def together_seconds(meeting: Meeting, *, until: datetime | None = None) -> int:
    """How long both companies were in the room at the same time."""
    until = until or timezone.now()
    seller = presence(meeting, RoomRole.SELLER, until=until)
    buyer = presence(meeting, RoomRole.BUYER, until=until)
    total = 0.0
    for s_start, s_end in seller:
        for b_start, b_end in buyer:
            overlap = (min(s_end, b_end) - max(s_start, b_start)).total_seconds()
            total += max(0.0, overlap)
    return int(total)


def outcome_from_attendance(meeting: Meeting, *, until: datetime | None = None) -> tuple[str, int]:
    """The rule: held when both companies were in together for the event's minimum
    (5 minutes by default); a side that never came is a no-show; anything between is
    partial. Returns (outcome, seconds together)."""
    until = until or timezone.now()
    seconds = together_seconds(meeting, until=until)
    if seconds >= policy(meeting.event).held_minutes * 60:
        return Outcome.HELD, seconds
    seller_came = bool(presence(meeting, RoomRole.SELLER, until=until))
    buyer_came = bool(presence(meeting, RoomRole.BUYER, until=until))
    if not seller_came and not buyer_came:
        return Outcome.NO_SHOW_BOTH, seconds
    if not seller_came:
        return Outcome.NO_SHOW_SELLER, seconds
    if not buyer_came:
        return Outcome.NO_SHOW_BUYER, seconds
    return Outcome.PARTIAL, seconds


def outcome_of(meeting: Meeting) -> MeetingOutcome | None:
    try:
        return meeting.outcome
    except MeetingOutcome.DoesNotExist:
        return None


def decide_outcome(meeting: Meeting, *, now: datetime | None = None) -> MeetingOutcome | None:
    """After the slot: decide the outcome from attendance, unless a person already said
    "it didn't happen" (a report wins over the machine). A no-show notifies the side that
    came. Returns None while the room is still open or for a cancelled meeting."""
    now = now or timezone.now()
    if meeting.state != MeetingState.SCHEDULED or now < room_closes_at(meeting):
        return None
    existing = outcome_of(meeting)
    if existing is not None:
        return existing
    outcome, seconds = outcome_from_attendance(meeting, until=room_closes_at(meeting))
    with transaction.atomic():
        record, created = MeetingOutcome.objects.get_or_create(
            meeting=meeting, defaults={"outcome": outcome, "together_seconds": seconds}
        )
    if created and outcome in (Outcome.NO_SHOW_SELLER, Outcome.NO_SHOW_BUYER):
        _notify_no_show(meeting, outcome)
    return record


def _notify_no_show(meeting: Meeting, outcome: str) -> None:
    """The side that came is told, and the notification's link opens a new request to the
    absent company with the slot picker (the missed meeting no longer blocks the pair)."""
    from bizweek.notifications.services import notify_company

    waiting, absent = (
        (meeting.buyer, meeting.seller)
        if outcome == Outcome.NO_SHOW_SELLER
        else (meeting.seller, meeting.buyer)
    )
    retry = reverse("matching:new_request", args=[absent.pk])
    notify_company(waiting, "meeting_no_show", meeting=meeting, url=retry)


def decide_due_outcomes(now: datetime | None = None) -> int:
    """Decide every finished meeting that has no outcome yet (run by the periodic job)."""
    now = now or timezone.now()
    due = Meeting.objects.filter(
        state=MeetingState.SCHEDULED, ends_at__lte=now, outcome__isnull=True
    ).select_related("event", "seller", "buyer")
    return sum(1 for meeting in due if decide_outcome(meeting, now=now) is not None)


def report_not_happened(meeting: Meeting, *, by: User, note: str = "") -> MeetingOutcome:
    """Either company (or an organizer) says the meeting did not take place; this replaces
    an outcome decided from attendance."""
    if not (by.is_organizer or by.company_id in (meeting.seller_id, meeting.buyer_id)):
        raise PermissionDenied(_("This meeting belongs to other companies."))
    if meeting.state != MeetingState.SCHEDULED:
        raise ValidationError(_("This meeting was cancelled."))
    if timezone.now() < meeting.starts_at:
        raise ValidationError(_("The meeting has not started yet."))
    record, _created = MeetingOutcome.objects.update_or_create(
        meeting=meeting,
        defaults={"outcome": Outcome.DID_NOT_HAPPEN, "reported_by": by, "note": note[:2000]},
    )
    return record


# --- Meeting chat ----------------------------------------------------------------------------

CHAT_MAX_CHARS = 2000


def post_chat(meeting: Meeting, *, author: User, text: str) -> ChatMessage:
    """Keep a room message (plain text; templates and the page escape it on display)."""
    if room_role(author, meeting) is None:
        raise PermissionDenied(_("You are not a participant of this meeting."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("The message is empty."))
    if len(text) > CHAT_MAX_CHARS:
        raise ValidationError(
            _("A message can have at most %(count)d characters.") % {"count": CHAT_MAX_CHARS}
        )
    return ChatMessage.objects.create(meeting=meeting, author=author, text=text)


def share_file(meeting: Meeting, upload: object, *, by: User) -> SharedFile:
    """Keep a file a participant shares in the room: a PDF or a picture, checked by content
    and size like booth uploads (expo.services.check_shared_file); observers only watch."""
    from bizweek.expo.services import check_shared_file
    from bizweek.expo.uploads import random_name

    if room_role(by, meeting) in (None, RoomRole.OBSERVER):
        raise PermissionDenied(_("Only participants can share files."))
    if room_state(meeting) != "open":
        raise ValidationError(_("The room is closed."))
    kind, content, extension = check_shared_file(upload)
    # Named for what it now is (pictures are re-encoded), so the download's type is right.
    stem = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = (stem[:180] or "file") + extension
    shared = SharedFile(meeting=meeting, uploaded_by=by, name=name, kind=kind)
    shared.file.save(random_name(extension), content, save=True)
    return shared


def file_payload(shared: SharedFile) -> dict:
    from django.urls import reverse

    return {
        "id": shared.pk,
        "name": shared.name,
        "kind": shared.kind,
        "author": str(shared.uploaded_by) if shared.uploaded_by else "",
        "url": reverse("meetings:file", args=[shared.meeting_id, shared.pk]),
        "at": shared.created_at.isoformat(),
    }


# --- Exchange rates and the consultation log (상담일지) ----------------------------------------

CENT = Decimal("0.01")
AMOUNT_FIELDS = ("unit_price", "consultation", "expected_contract", "signed_contract")


def set_exchange_rate(
    event: Event, currency: str, usd_per_unit: Decimal, *, by: User
) -> ExchangeRate:
    """Organizers set how many USD one unit of KRW or CNY is worth for the event's figures.
    Logs filed earlier keep the USD value computed when they were filed."""
    if not by.is_organizer:
        raise PermissionDenied(_("Only organizers set exchange rates."))
    if currency not in LogCurrency.values or currency == LogCurrency.USD:
        raise ValidationError(_("Choose KRW or CNY."))
    usd_per_unit = Decimal(usd_per_unit)
    if usd_per_unit <= 0:
        raise ValidationError(_("A rate must be more than zero."))
    rate, _created = ExchangeRate.objects.update_or_create(
        event=event, currency=currency, defaults={"usd_per_unit": usd_per_unit, "updated_by": by}
    )
    audit.record(by, "exchange_rate.changed", event, currency=currency, usd_per_unit=usd_per_unit)
    return rate


def exchange_rates(event: Event) -> dict[str, Decimal]:
    rates = {LogCurrency.USD.value: Decimal(1)}
    rates.update(ExchangeRate.objects.filter(event=event).values_list("currency", "usd_per_unit"))
    return rates


def to_usd(event: Event, amount: Decimal | None, currency: str) -> Decimal | None:
    """An amount in USD at the event's rate, to the cent; refused when no rate is set."""
    if amount is None:
        return None
    rate = exchange_rates(event).get(currency)
    if rate is None:
        raise ValidationError(
            _("The organizers have not set the rate for %(currency)s yet; enter the amount in USD.")
            % {"currency": currency}
        )
    return (Decimal(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def set_report_deadline(event: Event, deadline: datetime | None, *, by: User) -> MeetingPolicy:
    """Organizers set until when logs may be filed (None: until business matching ends)."""
    if not by.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    rules, _created = MeetingPolicy.objects.get_or_create(event=event)
    rules.report_deadline = deadline
    rules.save(update_fields=["report_deadline"])
    return rules


def report_deadline(event: Event) -> datetime:
    """Logs stay editable until the event's reporting deadline (default: end of matching)."""
    return policy(event).report_deadline or event.matching_ends_at


def unfiled_log_companies(
    meeting: Meeting,
    companies: list[Company],
    outcome: MeetingOutcome | None,
    now: datetime | None = None,
) -> list[Company]:
    """Of `companies`, those still owing a log for a meeting that took place (held or partly
    held), while logs can be filed: the meeting page says so, and the reminders
    (dashboard/nudges.py) go to the same people."""
    if outcome is None or outcome.outcome not in (Outcome.HELD, Outcome.PARTIAL):
        return []
    if (now or timezone.now()) > report_deadline(meeting.event):
        return []
    filed = set(
        ConsultationLog.objects.filter(meeting=meeting).values_list("company_id", flat=True)
    )
    return [company for company in companies if company.pk not in filed]


def log_companies_for(user: User, meeting: Meeting) -> list[Company]:
    """The companies a user may file a log for: their own, or both for the interpreter."""
    role = room_role(user, meeting)
    if role == RoomRole.SELLER:
        return [meeting.seller]
    if role == RoomRole.BUYER:
        return [meeting.buyer]
    if role == RoomRole.INTERPRETER:
        return [meeting.seller, meeting.buyer]
    return []


def file_log(
    meeting: Meeting,
    *,
    company: Company,
    by: User,
    products: list | None = None,
    now: datetime | None = None,
    **fields: object,
) -> ConsultationLog:
    """File or update one company's 상담일지 for a meeting.

    Allowed to the company's members and to the meeting's interpreter (on the company's
    behalf), from the start of the slot until the reporting deadline. Every amount is
    converted to USD at the event's current rate and both values are kept; products must
    be the seller's. Then confirmation is recomputed for both sides' logs."""
    now = now or timezone.now()
    if company.pk not in (meeting.seller_id, meeting.buyer_id):
        raise ValidationError(_("This company did not take part in the meeting."))
    if company not in log_companies_for(by, meeting):
        raise PermissionDenied(_("You may not file a log for this company."))
    if meeting.state != MeetingState.SCHEDULED:
        raise ValidationError(_("This meeting was cancelled."))
    if now < meeting.starts_at:
        raise ValidationError(_("The log can be filed once the meeting has started."))
    if now > report_deadline(meeting.event):
        raise ValidationError(_("The reporting deadline has passed; the log can no longer change."))
    allowed = {f.name for f in ConsultationLog._meta.get_fields()} - {
        "id",
        "meeting",
        "company",
        "filed_by",
        "by_interpreter",
        "products",
        "created_at",
        "updated_at",
    }
    unknown = set(fields) - allowed
    if unknown or any(name.endswith(("_usd", "_confirmed")) for name in fields):
        raise ValueError(f"not log fields: {sorted(unknown) or 'computed'}")
    for name in AMOUNT_FIELDS:
        amount_field = "unit_price" if name == "unit_price" else f"{name}_amount"
        amount = fields.get(amount_field)
        if amount is not None and Decimal(amount) < 0:
            raise ValidationError(_("Amounts cannot be negative."))
        currency = fields.setdefault(f"{name}_currency", LogCurrency.USD)
        if currency not in LogCurrency.values:
            raise ValidationError(_("Choose USD, KRW or CNY."))
        fields[f"{name}_usd"] = to_usd(meeting.event, amount, currency)
    if products is not None:
        products = list(products)
        if any(product.company_id != meeting.seller_id for product in products):
            raise ValidationError(_("Choose products from the seller's catalog."))
    with transaction.atomic():
        log, _created = ConsultationLog.objects.update_or_create(
            meeting=meeting,
            company=company,
            defaults={
                **fields,
                "filed_by": by,
                "by_interpreter": room_role(by, meeting) == RoomRole.INTERPRETER,
            },
        )
        if products is not None:
            log.products.set(products)
        refresh_confirmation(meeting)
    log.refresh_from_db()
    return log


def figures_agree(a: Decimal | None, b: Decimal | None) -> bool:
    """Two sides' USD figures agree when equal to within 1% (or one dollar): amounts typed in
    different currencies round differently."""
    if a is None or b is None:
        return False
    return abs(a - b) <= max(Decimal(1), max(abs(a), abs(b)) / 100)


CONFIRMABLE = ("consultation", "expected_contract", "signed_contract")


def refresh_confirmation(meeting: Meeting) -> None:
    """A figure is confirmed when both companies' logs agree on it (MOU: both say signed);
    the flags are stored on both logs so the database can total confirmed figures."""
    logs = {log.company_id: log for log in ConsultationLog.objects.filter(meeting=meeting)}
    seller, buyer = logs.get(meeting.seller_id), logs.get(meeting.buyer_id)
    flags: dict[str, bool] = {}
    for name in CONFIRMABLE:
        flags[f"{name}_confirmed"] = bool(
            seller
            and buyer
            and figures_agree(getattr(seller, f"{name}_usd"), getattr(buyer, f"{name}_usd"))
        )
    flags["mou_confirmed"] = bool(seller and buyer and seller.mou_signed and buyer.mou_signed)
    ConsultationLog.objects.filter(meeting=meeting).update(**flags)


@dataclass
class Figure:
    """One figure of a meeting: its USD value and whether both sides agree on it."""

    usd: Decimal | None
    confirmed: bool
    reported_by: str  # "both", "seller", "buyer" or "" (nobody reported it)


def meeting_figures(meeting: Meeting) -> dict[str, Figure]:
    """A meeting's figures: confirmed where both logs agree, otherwise as reported by one
    side (the seller's when both reported different values)."""
    logs = {log.company_id: log for log in ConsultationLog.objects.filter(meeting=meeting)}
    seller, buyer = logs.get(meeting.seller_id), logs.get(meeting.buyer_id)
    result = {}
    for name in CONFIRMABLE:
        s = getattr(seller, f"{name}_usd", None) if seller else None
        b = getattr(buyer, f"{name}_usd", None) if buyer else None
        if figures_agree(s, b):
            result[name] = Figure(s, True, "both")
        elif s is not None:
            result[name] = Figure(s, False, "seller")
        elif b is not None:
            result[name] = Figure(b, False, "buyer")
        else:
            result[name] = Figure(None, False, "")
    return result


def event_log_totals(event: Event) -> dict[str, Decimal]:
    """SQL totals of an event's logs in USD: confirmed figures (counted once, on the seller's
    log) and everything reported by each side."""
    from django.db.models import Sum

    logs = ConsultationLog.objects.filter(
        meeting__event=event, meeting__state=MeetingState.SCHEDULED
    )
    seller_logs = logs.filter(company_id=F("meeting__seller_id"))
    buyer_logs = logs.filter(company_id=F("meeting__buyer_id"))
    totals: dict[str, Decimal] = {}
    for name in CONFIRMABLE:
        column = f"{name}_usd"
        totals[f"{name}_confirmed_usd"] = seller_logs.filter(
            **{f"{name}_confirmed": True}
        ).aggregate(t=Sum(column))["t"] or Decimal(0)
        totals[f"{name}_seller_reported_usd"] = seller_logs.aggregate(t=Sum(column))[
            "t"
        ] or Decimal(0)
        totals[f"{name}_buyer_reported_usd"] = buyer_logs.aggregate(t=Sum(column))["t"] or Decimal(
            0
        )
    return totals
