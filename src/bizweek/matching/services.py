"""Business matching: slots, availability and the life of a meeting request.

A request goes pending → accepted (a meeting is booked) | declined | cancelled | expired.
While pending, the side in `awaiting` answers: accept one of the other side's proposed slots,
propose other slots (the turn passes back), or decline. Every time is a UTC instant on the
event's slot grid; pages show it in each reader's own time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bizweek.accounts.models import User
from bizweek.companies.models import Company, CompanyRole
from bizweek.core import ratelimit
from bizweek.events.models import Event
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Booking, company_key, user_key
from bizweek.notifications.services import notify_company

from .models import (
    Availability,
    Mark,
    MarkValue,
    MeetingDay,
    MeetingRequest,
    ProposedSlot,
    RequestState,
)
from .talk import Message, MoveProposal, MoveState

# Without windows of its own, a company is taken to meet during its local working hours.
DEFAULT_HOURS = (time(9, 0), time(18, 0))
MAX_PROPOSED_SLOTS = 5


# --- the slot grid -------------------------------------------------------------------------


def slot_starts(event: Event) -> list[datetime]:
    """Every slot start of the event, in UTC. Computed in UTC so DST changes cannot skew it."""
    tz = ZoneInfo(event.timezone)
    step = timedelta(minutes=event.slot_minutes)
    slots = []
    for day in event.meeting_days.all():
        start = datetime.combine(day.date, day.starts, tz).astimezone(UTC)
        end = datetime.combine(day.date, day.ends, tz).astimezone(UTC)
        moment = start
        while moment + step <= end:
            slots.append(moment)
            moment += step
    return slots


def is_on_grid(event: Event, moment: datetime) -> bool:
    return moment.astimezone(UTC) in set(slot_starts(event))


def _windows(
    company: Company | None = None, user: User | None = None
) -> list[tuple[datetime, datetime]]:
    owner = {"company": company} if company is not None else {"user": user}
    return list(Availability.objects.filter(**owner).values_list("starts_at", "ends_at"))


def _within(moment: datetime, end: datetime, windows: list[tuple[datetime, datetime]]) -> bool:
    return any(start <= moment and end <= stop for start, stop in windows)


def in_default_hours(moment: datetime, end: datetime, tz_name: str) -> bool:
    tz = ZoneInfo(tz_name)
    local_start, local_end = moment.astimezone(tz), end.astimezone(tz)
    return (
        local_start.date() == (local_end - timedelta(microseconds=1)).date()
        and DEFAULT_HOURS[0] <= local_start.time()
        and local_end.time() <= DEFAULT_HOURS[1]
        and local_end.time() != time(0)
    )


def available_slots(
    event: Event,
    *,
    company: Company | None = None,
    user: User | None = None,
    include_booked: bool = False,
    now: datetime | None = None,
) -> list[datetime]:
    """Future slots in which the company (or interpreter) can meet and is not yet booked.

    Slots to book (not `include_booked`) also keep the event's minimum notice, so neither a
    request nor the auto-scheduler offers a meeting that starts in 25 minutes.
    """
    now = now or timezone.now()
    earliest = now if include_booked else now + event.min_notice
    step = timedelta(minutes=event.slot_minutes)
    windows = _windows(company, user)
    tz_name = company.timezone if company is not None else user.timezone
    key = company_key(company.pk) if company is not None else user_key(user.pk)
    booked = (
        set()
        if include_booked
        else set(
            Booking.objects.filter(participant=key, starts_at__gte=now).values_list(
                "starts_at", flat=True
            )
        )
    )
    result = []
    for moment in slot_starts(event):
        if moment < earliest or moment in booked:
            continue
        ok = (
            _within(moment, moment + step, windows)
            if windows
            else in_default_hours(moment, moment + step, tz_name)
        )
        if ok:
            result.append(moment)
    return result


def common_slots(
    event: Event,
    a: Company,
    b: Company,
    now: datetime | None = None,
    moving: object | None = None,
) -> list[datetime]:
    """Slots both can book, leaving out days on which the pair already meets (unless the
    organizer allows more); `moving` is a meeting being moved, whose own day stays open."""
    theirs = set(available_slots(event, company=b, now=now))
    taken = pair_days(event, a, b, moving)
    return [
        moment
        for moment in available_slots(event, company=a, now=now)
        if moment in theirs and event_day(event, moment) not in taken
    ]


def event_day(event: Event, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(event.timezone)).date()


def pair_days(event: Event, a: Company, b: Company, moving: object | None = None) -> set[date]:
    """The event days on which the two companies already meet (empty when repeats are allowed)."""
    if event.allow_repeat_meetings:
        return set()
    starts = meeting_services.pair_meeting_starts(event, a, b, exclude=moving)
    return {event_day(event, moment) for moment in starts}


@transaction.atomic
def set_availability(
    event: Event,
    slots: Iterable[datetime],
    *,
    company: Company | None = None,
    user: User | None = None,
    by: User,
) -> int:
    """Replace an owner's windows with the given slots (merged into windows)."""
    if company is not None and not by.has_perm("companies.change_company", company):
        raise PermissionDenied(_("You may only change your own company's availability."))
    if user is not None and user != by and not by.is_organizer:
        raise PermissionDenied(_("You may only change your own availability."))
    grid = set(slot_starts(event))
    chosen = sorted({s.astimezone(UTC) for s in slots})
    off_grid = [s for s in chosen if s not in grid]
    if off_grid:
        raise ValidationError(_("Some times are not meeting slots of this event."))
    step = timedelta(minutes=event.slot_minutes)
    windows: list[list[datetime]] = []
    for moment in chosen:
        if windows and windows[-1][1] == moment:
            windows[-1][1] = moment + step
        else:
            windows.append([moment, moment + step])
    owner = {"company": company} if company is not None else {"user": user}
    Availability.objects.filter(**owner).delete()
    Availability.objects.bulk_create(
        [Availability(starts_at=start, ends_at=end, **owner) for start, end in windows]
    )
    if not windows:
        # An empty choice means "not available at all", which defaults must not override.
        far = datetime(1970, 1, 1, tzinfo=UTC)
        Availability.objects.create(starts_at=far, ends_at=far + timedelta(minutes=1), **owner)
    return len(windows)


# --- requests ------------------------------------------------------------------------------


def _require_member(user: User, company: Company) -> None:
    if user.company_id != company.pk and not user.is_organizer:
        raise PermissionDenied(_("You can only act for your own company."))


def _check_open(event: Event) -> None:
    if not event.matching_is_open():
        raise ValidationError(
            _("Business matching for this event ended on %(date)s; no more meetings can be booked.")
            % {"date": timezone.localtime(event.matching_ends_at).strftime("%Y-%m-%d")}
        )


def _clean_slots(
    event: Event, a: Company, b: Company, slots: Iterable[datetime], moving: object | None = None
) -> list[datetime]:
    chosen = sorted({s.astimezone(UTC) for s in slots})
    if not chosen:
        raise ValidationError(_("Choose at least one time."))
    if len(chosen) > MAX_PROPOSED_SLOTS:
        raise ValidationError(_("Propose at most %(count)d times.") % {"count": MAX_PROPOSED_SLOTS})
    _check_pair_days(event, a, b, chosen, moving)
    free = set(common_slots(event, a, b, moving=moving))
    for moment in chosen:
        if moment not in free:
            raise ValidationError(
                _(
                    "%(time)s is not free for both companies (outside availability, "
                    "already booked, in the past or outside the event)."
                )
                % {"time": moment.strftime("%Y-%m-%d %H:%M UTC")}
            )
    return chosen


def _check_pair_days(
    event: Event, a: Company, b: Company, chosen: list[datetime], moving: object | None = None
) -> None:
    taken = pair_days(event, a, b, moving)
    for moment in chosen:
        if event_day(event, moment) in taken:
            raise ValidationError(
                _(
                    "These two companies already meet on %(date)s; the organizer allows one "
                    "meeting per pair and day."
                )
                % {"date": event_day(event, moment).isoformat()}
            )


def notice_label(event: Event) -> str:
    """'2 hours', '90 minutes': the event's minimum notice as people say it."""
    minutes = event.min_notice_minutes
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def open_requests_sent(company: Company) -> int:
    return MeetingRequest.objects.filter(from_company=company, state=RequestState.PENDING).count()


def create_request(
    event: Event,
    to_company: Company,
    *,
    by: User,
    slots: Iterable[datetime],
    message: str = "",
    needs_interpreter: bool = False,
    languages: str = "",
    source: str = "",
) -> MeetingRequest:
    """Ask `to_company` for a meeting at one of `slots`.

    A request with a `source` (a consultation asked for during a live show) may come without
    times: the recipient then proposes them.
    """
    from_company = by.company
    if from_company is None:
        raise PermissionDenied(_("Sign in with your company's account to request a meeting."))
    _check_open(event)
    if to_company.pk == from_company.pk:
        raise ValidationError(_("A company cannot request a meeting with itself."))
    if {from_company.role, to_company.role} != {CompanyRole.SELLER, CompanyRole.BUYER}:
        raise ValidationError(_("Meetings are between an exhibitor and a buyer."))
    if not (from_company.is_approved and to_company.is_approved):
        raise ValidationError(_("Both companies must be approved by the organizer first."))
    if open_requests_sent(from_company) >= event.max_open_requests:
        raise ValidationError(
            _(
                "You already have %(count)d requests waiting for an answer, the most this event "
                "allows. Wait for answers or cancel one."
            )
            % {"count": event.max_open_requests}
        )
    slots = list(slots)
    chosen = _clean_slots(event, from_company, to_company, slots) if slots or not source else []
    try:
        with transaction.atomic():
            request = MeetingRequest.objects.create(
                event=event,
                from_company=from_company,
                to_company=to_company,
                awaiting=to_company,
                created_by=by,
                message=message[:2000],
                needs_interpreter=needs_interpreter,
                languages=languages[:20],
                source=source[:40],
            )
            ProposedSlot.objects.bulk_create(
                [
                    ProposedSlot(request=request, starts_at=s, proposed_by=from_company)
                    for s in chosen
                ]
            )
    except IntegrityError as error:
        raise ValidationError(
            _("There is already an open request between your company and %(name)s.")
            % {"name": to_company}
        ) from error
    notify_company(to_company, "request_received", request=request)
    return request


def current_slots(request: MeetingRequest) -> list[ProposedSlot]:
    return list(request.slots.filter(is_current=True).order_by("starts_at"))


def _pending_for(request: MeetingRequest, by: User) -> None:
    if request.state != RequestState.PENDING:
        raise ValidationError(
            _("This request is no longer open (%(state)s).")
            % {"state": request.get_state_display()}
        )
    if by.company_id != request.awaiting_id and not by.is_organizer:
        raise PermissionDenied(_("This request is not waiting for your company's answer."))


def accept(request: MeetingRequest, starts_at: datetime, *, by: User):  # noqa: ANN201
    """Book the meeting in one of the slots the other side proposed."""
    expire_stale([request])
    request.refresh_from_db()
    _pending_for(request, by)
    _check_open(request.event)
    accepting_company_id = request.awaiting_id
    moment = starts_at.astimezone(UTC)
    offered = {s.starts_at for s in current_slots(request)}
    if moment not in offered:
        raise ValidationError(_("Choose one of the proposed times."))
    if moment < timezone.now():
        raise ValidationError(_("That time has already passed; propose another one."))
    if moment < timezone.now() + request.event.min_notice:
        raise ValidationError(
            _("That time is less than %(hours)s away; propose a later one.")
            % {"hours": notice_label(request.event)}
        )
    _check_pair_days(request.event, request.from_company, request.to_company, [moment])
    with transaction.atomic():
        locked = MeetingRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RequestState.PENDING:
            raise ValidationError(_("This request was answered in the meantime."))
        meeting = meeting_services.book(
            request.event,
            seller=_seller(request),
            buyer=_buyer(request),
            starts_at=moment,
            request=request,
            needs_interpreter=request.needs_interpreter,
            languages=request.languages,
        )
        MeetingRequest.objects.filter(pk=request.pk).update(
            state=RequestState.ACCEPTED, awaiting=None, updated_at=timezone.now()
        )
    request.refresh_from_db()
    proposer = Company.objects.get(pk=request.other(accepting_company_id))
    notify_company(proposer, "request_accepted", request=request, meeting=meeting)
    return meeting


def accept_unscheduled(request: MeetingRequest, *, by: User) -> MeetingRequest:
    """Accept the meeting but leave its time to the organizer's scheduler."""
    _pending_for(request, by)
    _check_open(request.event)
    proposer = Company.objects.get(pk=request.other(request.awaiting_id))
    updated = MeetingRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).update(
        state=RequestState.ACCEPTED,
        awaiting=None,
        organizer_schedules=True,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ValidationError(_("This request was answered in the meantime."))
    request.refresh_from_db()
    notify_company(proposer, "request_accepted", request=request)
    return request


def unplaced_requests(event: Event) -> QuerySet[MeetingRequest]:
    """Accepted requests still waiting for the organizer's schedule."""
    return MeetingRequest.objects.filter(
        event=event, state=RequestState.ACCEPTED, organizer_schedules=True, meeting__isnull=True
    ).select_related("from_company", "to_company")


def _seller(request: MeetingRequest) -> Company:
    return request.from_company if request.from_company.is_seller else request.to_company


def _buyer(request: MeetingRequest) -> Company:
    return request.to_company if request.from_company.is_seller else request.from_company


def propose(request: MeetingRequest, slots: Iterable[datetime], *, by: User) -> MeetingRequest:
    """Answer with other times; the turn passes to the other company."""
    _pending_for(request, by)
    _check_open(request.event)
    me = request.awaiting
    other = request.from_company if me.pk == request.to_company_id else request.to_company
    chosen = _clean_slots(request.event, me, other, slots)
    with transaction.atomic():
        request.slots.update(is_current=False)
        ProposedSlot.objects.bulk_create(
            [ProposedSlot(request=request, starts_at=s, proposed_by=me) for s in chosen],
            ignore_conflicts=True,
        )
        request.slots.filter(proposed_by=me, starts_at__in=chosen).update(is_current=True)
        request.awaiting = other
        request.save(update_fields=["awaiting", "updated_at"])
    notify_company(other, "request_changed", request=request)
    return request


def decline(request: MeetingRequest, *, by: User, reason: str = "") -> MeetingRequest:
    _pending_for(request, by)
    other = Company.objects.get(pk=request.other(request.awaiting_id))
    _close(request, RequestState.DECLINED, decline_reason=reason.strip()[:1000])
    notify_company(other, "request_declined", request=request)
    return request


def _close(request: MeetingRequest, state: str, **fields: object) -> None:
    """End a pending request, unless another answer (an accept) got there first."""
    now = timezone.now()
    updated = MeetingRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).update(
        state=state, awaiting=None, updated_at=now, **fields
    )
    if not updated:
        raise ValidationError(_("This request was answered in the meantime."))
    request.refresh_from_db()


def cancel(request: MeetingRequest, *, by: User) -> MeetingRequest:
    """The sender withdraws a request that is still open."""
    if request.state != RequestState.PENDING:
        raise ValidationError(_("Only open requests can be cancelled."))
    if by.company_id != request.from_company_id and not by.is_organizer:
        raise PermissionDenied(_("Only the company that sent the request can cancel it."))
    _close(request, RequestState.CANCELLED)
    notify_company(request.to_company, "request_cancelled", request=request)
    return request


def expire_stale(
    requests: Iterable[MeetingRequest] | None = None, now: datetime | None = None
) -> int:
    """Pending requests whose every proposed time has passed, or whose event's matching ended."""
    now = now or timezone.now()
    qs = MeetingRequest.objects.filter(state=RequestState.PENDING)
    if requests is not None:
        qs = qs.filter(pk__in=[r.pk for r in requests])
    future = ProposedSlot.objects.filter(request=OuterRef("pk"), is_current=True, starts_at__gt=now)
    stale = qs.filter(Q(event__matching_ends_at__lte=now) | ~Exists(future))
    ids = list(stale.values_list("pk", flat=True).distinct())
    if ids:
        MeetingRequest.objects.filter(pk__in=ids).update(
            state=RequestState.EXPIRED, awaiting=None, updated_at=now
        )
    return len(ids)


def requests_for(company: Company, box: str) -> QuerySet[MeetingRequest]:
    """A company's inbox (sent to it) or outbox (sent by it)."""
    field = "to_company" if box == "inbox" else "from_company"
    return (
        MeetingRequest.objects.filter(**{field: company})
        .select_related("from_company", "to_company", "awaiting", "meeting")
        .prefetch_related("slots")
        .order_by("-updated_at")
    )


def requests_awaiting(company: Company) -> list[MeetingRequest]:
    """Open requests whose answer is due from this company, oldest first, with their times."""
    qs = MeetingRequest.objects.filter(awaiting=company, state=RequestState.PENDING)
    expire_stale(qs)
    return list(
        qs.select_related("from_company", "to_company", "event")
        .prefetch_related(
            Prefetch(
                "slots",
                queryset=ProposedSlot.objects.filter(
                    is_current=True, starts_at__gt=timezone.now()
                ).order_by("starts_at"),
                to_attr="open_slots",
            )
        )
        .order_by("updated_at")
    )


def visible_request(user: User, pk: int) -> MeetingRequest:
    request = MeetingRequest.objects.select_related("from_company", "to_company", "event").get(
        pk=pk
    )
    if not user.is_organizer and user.company_id not in (
        request.from_company_id,
        request.to_company_id,
    ):
        raise PermissionDenied(_("This request belongs to other companies."))
    return request


def meeting_days(event: Event) -> QuerySet[MeetingDay]:
    return event.meeting_days.all()


def set_mark(target: Company, value: str, *, by: User) -> Mark | None:
    """Must meet / Meet / No thanks for a counterpart; an empty value clears the mark."""
    me = by.company
    if me is None:
        raise PermissionDenied(_("Sign in with your company's account to mark companies."))
    if target.pk == me.pk or target.role == me.role:
        raise ValidationError(_("Marks are for companies on the other side of the fair."))
    if not value:
        Mark.objects.filter(company=me, target=target).delete()
        return None
    if value not in MarkValue.values:
        raise ValidationError(_("Unknown mark."))
    mark, _created = Mark.objects.update_or_create(
        company=me, target=target, defaults={"value": value, "created_by": by}
    )
    return mark


def mark_of(company: Company | None, target: Company) -> str:
    if company is None:
        return ""
    return (
        Mark.objects.filter(company=company, target=target).values_list("value", flat=True).first()
        or ""
    )


# --- moving an accepted meeting ------------------------------------------------------------


def _side(meeting, by: User) -> Company:  # noqa: ANN001
    """The company `by` acts for in this meeting, or PermissionDenied."""
    if by.company_id not in (meeting.seller_id, meeting.buyer_id):
        raise PermissionDenied(_("Only the two companies of a meeting can move it."))
    return meeting.seller if by.company_id == meeting.seller_id else meeting.buyer


def open_move(meeting) -> MoveProposal | None:  # noqa: ANN001
    return MoveProposal.objects.filter(meeting=meeting, state=MoveState.PENDING).first()


def move_times(proposal: MoveProposal) -> list[datetime]:
    return [datetime.fromisoformat(value) for value in proposal.times]


def move_candidates(meeting) -> list[datetime]:  # noqa: ANN001
    """Times both companies could move the meeting to."""
    if meeting.starts_at <= timezone.now() or not meeting.event.matching_is_open():
        return []
    return common_slots(meeting.event, meeting.seller, meeting.buyer, moving=meeting)


def propose_move(meeting, slots: Iterable[datetime], *, by: User) -> MoveProposal:  # noqa: ANN001
    """Ask the other side to move an accepted meeting to one of these times."""
    from bizweek.meetings.models import MeetingState

    mine = _side(meeting, by)
    if meeting.state != MeetingState.SCHEDULED or meeting.starts_at <= timezone.now():
        raise ValidationError(_("Only a scheduled meeting that has not started can be moved."))
    _check_open(meeting.event)
    chosen = _clean_slots(meeting.event, meeting.seller, meeting.buyer, slots, moving=meeting)
    with transaction.atomic():
        # A new proposal replaces one still open (either side's).
        MoveProposal.objects.filter(meeting=meeting, state=MoveState.PENDING).update(
            state=MoveState.WITHDRAWN, answered_at=timezone.now()
        )
        proposal = MoveProposal.objects.create(
            meeting=meeting,
            proposed_by=mine,
            created_by=by,
            times=[moment.isoformat() for moment in chosen],
            old_starts_at=meeting.starts_at,
        )
    other = meeting.buyer if mine.pk == meeting.seller_id else meeting.seller
    notify_company(other, "move_proposed", meeting=meeting, move=proposal)
    return proposal


def accept_move(proposal: MoveProposal, starts_at: datetime, *, by: User):  # noqa: ANN201
    """The other side picks one of the proposed times: the meeting moves there."""
    meeting = proposal.meeting
    mine = _side(meeting, by)
    if proposal.state != MoveState.PENDING:
        raise ValidationError(_("This proposal is no longer open."))
    if mine.pk == proposal.proposed_by_id:
        raise PermissionDenied(_("The other company answers this proposal."))
    moment = starts_at.astimezone(UTC)
    if moment not in move_times(proposal):
        raise ValidationError(_("Choose one of the proposed times."))
    if moment < timezone.now() + meeting.event.min_notice:
        raise ValidationError(
            _("That time is less than %(hours)s away; propose a later one.")
            % {"hours": notice_label(meeting.event)}
        )
    _check_pair_days(meeting.event, meeting.seller, meeting.buyer, [moment], moving=meeting)
    with transaction.atomic():
        if not MoveProposal.objects.filter(pk=proposal.pk, state=MoveState.PENDING).update(
            state=MoveState.ACCEPTED, answered_at=timezone.now()
        ):
            raise ValidationError(_("This proposal was answered in the meantime."))
        moved = meeting_services.move(meeting, moment)
    for company in (moved.seller, moved.buyer):
        notify_company(company, "move_accepted", meeting=moved)
    return moved


def decline_move(proposal: MoveProposal, *, by: User) -> MoveProposal:
    """The other side says no, or the proposer withdraws; the meeting keeps its time."""
    mine = _side(proposal.meeting, by)
    state = MoveState.WITHDRAWN if mine.pk == proposal.proposed_by_id else MoveState.DECLINED
    if not MoveProposal.objects.filter(pk=proposal.pk, state=MoveState.PENDING).update(
        state=state, answered_at=timezone.now()
    ):
        raise ValidationError(_("This proposal is no longer open."))
    proposal.refresh_from_db()
    if state == MoveState.DECLINED:
        proposer = Company.objects.get(pk=proposal.proposed_by_id)
        notify_company(proposer, "move_declined", meeting=proposal.meeting)
    return proposal


# --- the message thread of a request or meeting -----------------------------------------------

MAX_MESSAGE_LENGTH = 1000
# Against floods of notifications to the other company: 20 messages per person per 5 minutes.
MESSAGES_PER_WINDOW = 20
MESSAGE_WINDOW_SECONDS = 300


def thread(*, request: MeetingRequest | None = None, meeting=None) -> list[Message]:  # noqa: ANN001
    """A meeting's thread includes what was said on its request before it was booked."""
    condition = Q()
    if meeting is not None:
        condition |= Q(meeting=meeting)
        if meeting.request_id:
            condition |= Q(request_id=meeting.request_id)
    if request is not None:
        condition |= Q(request=request)
    if not condition:
        return []
    return list(Message.objects.filter(condition).select_related("author", "company"))


def post_message(
    body: str,
    *,
    by: User,
    request: MeetingRequest | None = None,
    meeting=None,  # noqa: ANN001
) -> Message:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("A message can have at most %(count)d characters.") % {"count": MAX_MESSAGE_LENGTH}
        )
    if meeting is not None:
        if not meeting_services.can_see(by, meeting):
            raise PermissionDenied(_("This meeting belongs to other companies."))
        pair = (meeting.seller, meeting.buyer)
        request = meeting.request
    elif request is not None:
        if not (
            by.is_organizer or by.company_id in (request.from_company_id, request.to_company_id)
        ):
            raise PermissionDenied(_("You can only act for your own company."))
        pair = (request.from_company, request.to_company)
    else:
        raise ValueError("a message needs a request or a meeting")
    if not by.is_organizer and not ratelimit.allow(
        "messages", str(by.pk), limit=MESSAGES_PER_WINDOW, window=MESSAGE_WINDOW_SECONDS
    ):
        raise ValidationError(_("You are sending messages too quickly; wait a few minutes."))
    message = Message.objects.create(
        request=request, meeting=meeting, author=by, company=by.company, body=body
    )
    for company in pair:
        if company.pk != by.company_id:
            notify_company(
                company,
                "message_received",
                email=False,
                request=request,
                meeting=meeting,
                message=message,
            )
    return message
