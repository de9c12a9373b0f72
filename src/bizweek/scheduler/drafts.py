"""The organizer's auto-scheduler: from accepted-but-unplaced requests and mutual "Must meet"
pairs to a draft schedule for one meeting day, reviewed, then published.

The solver itself is `cpsat.py` (CP-SAT, shared with `bizweek solve-b2b` and the benchmark);
this module translates the database into its instance and back.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bizweek.accounts.models import Role, User
from bizweek.audit import services as audit
from bizweek.companies.models import Company, CompanyRole
from bizweek.events.models import Event
from bizweek.matching import services
from bizweek.matching.models import (
    DraftMeeting,
    Mark,
    MarkValue,
    MeetingDay,
    MeetingRequest,
    RequestState,
    RunStatus,
    ScheduleRun,
)
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Meeting
from bizweek.notifications.services import notify_company

from .cpsat import B2BInstance, Solution, greedy, solve
from .models import DraftJob, JobState
from .neighbourhood import Progress, improve

ANY_SESSION = 3
logger = logging.getLogger(__name__)


@dataclass
class Pair:
    seller: Company
    buyer: Company
    request: MeetingRequest | None = None
    needs_interpreter: bool = False
    languages: str = ""


def _require_organizer(user: User) -> None:
    if not user.is_organizer:
        raise PermissionDenied(_("Only organizers run the scheduler."))


def candidate_pairs(event: Event) -> list[Pair]:
    """Accepted requests waiting for a time, then mutual "Must meet" pairs not yet in touch."""
    pairs = []
    for request in services.unplaced_requests(event):
        seller, buyer = (
            (request.from_company, request.to_company)
            if request.from_company.role == CompanyRole.SELLER
            else (request.to_company, request.from_company)
        )
        pairs.append(Pair(seller, buyer, request, request.needs_interpreter, request.languages))
    mutual = Mark.objects.filter(
        value=MarkValue.MUST_MEET,
        company__role=CompanyRole.SELLER,
        company__status="approved",
        target__status="approved",
    ).filter(
        Exists(
            Mark.objects.filter(
                company=OuterRef("target"), target=OuterRef("company"), value=MarkValue.MUST_MEET
            )
        )
    )
    in_touch = MeetingRequest.objects.filter(
        Q(from_company=OuterRef("company"), to_company=OuterRef("target"))
        | Q(from_company=OuterRef("target"), to_company=OuterRef("company")),
        state__in=[RequestState.PENDING, RequestState.ACCEPTED],
    )
    met = Meeting.objects.filter(
        seller=OuterRef("company"), buyer=OuterRef("target"), state="scheduled"
    )
    for mark in (
        mutual.exclude(Exists(in_touch)).exclude(Exists(met)).select_related("company", "target")
    ):
        pairs.append(Pair(mark.company, mark.target))
    return pairs


def day_slots(event: Event, day: MeetingDay, now: datetime) -> list[datetime]:
    start = datetime.combine(day.date, day.starts, _zone(event)).astimezone(UTC)
    end = datetime.combine(day.date, day.ends, _zone(event)).astimezone(UTC)
    return [s for s in services.slot_starts(event) if start <= s < end and s > now]


def _zone(event: Event):
    from zoneinfo import ZoneInfo

    return ZoneInfo(event.timezone)


def build_instance(
    event: Event, day: MeetingDay, pairs: list[Pair], tables: int, now: datetime | None = None
) -> tuple[B2BInstance, list[datetime], list[Company]]:
    """The solver's view: participants 1..n, slots 1..S of the day, forbidden = unavailable or
    already booked, plus the interpreters' per-slot capacity for meetings that need one."""
    now = now or timezone.now()
    slots = day_slots(event, day, now)
    companies: dict[int, Company] = {}
    for pair in pairs:
        companies.setdefault(pair.seller.pk, pair.seller)
        companies.setdefault(pair.buyer.pk, pair.buyer)
    order = list(companies.values())
    index = {company.pk: number for number, company in enumerate(order, start=1)}
    forbidden: dict[int, set[int]] = {}
    for company in order:
        free = set(services.available_slots(event, company=company, now=now))
        forbidden[index[company.pk]] = {n for n, s in enumerate(slots, start=1) if s not in free}
    meetings = [(index[p.seller.pk], index[p.buyer.pk], ANY_SESSION) for p in pairs]
    instance = B2BInstance(
        n_business=len(order),
        meetings=meetings,
        n_tables=tables,
        n_slots=len(slots),
        n_morning=len(slots),
        forbidden=forbidden,
        max_breaks=len(slots),  # fairness is enforced below by comparing with the fair solve
        name=f"{event.slug} {day.date}",
    )
    needing = [i for i, p in enumerate(pairs) if p.needs_interpreter]
    if needing:
        free_sets = [
            set(services.available_slots(event, user=person, now=now))
            for person in User.objects.filter(role=Role.INTERPRETER, is_active=True)
        ]
        capacity = {n: sum(s in free for free in free_sets) for n, s in enumerate(slots, start=1)}
        instance.capacity_groups = [(needing, capacity)]
    return instance, slots, order


# Above this many meetings the whole-day CP-SAT model does not finish in a minute; the
# neighbourhood search takes over (see neighbourhood.py and docs/decisions.md).
LARGE_DAY = 1500


def _check_request(event: Event, day: MeetingDay, by: User, tables: int) -> list[Pair]:
    _require_organizer(by)
    if tables < 1:
        raise ValidationError(_("At least one meeting at a time is needed."))
    pairs = candidate_pairs(event)
    if not pairs:
        raise ValidationError(
            _("Nothing to schedule: no accepted requests or mutual “Must meet” pairs.")
        )
    if not day_slots(event, day, timezone.now()):
        raise ValidationError(_("That day has no meeting slots left."))
    return pairs


def run(
    event: Event,
    day: MeetingDay,
    *,
    by: User,
    tables: int = 20,
    time_limit: float = 30,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ScheduleRun:
    """Solve one day and keep the result as a draft for the organizer to review.

    `on_progress` hears how far the solve is (placed, breaks, bound, time left); when
    `should_stop` says yes, the best schedule found so far becomes the draft."""
    started = time.perf_counter()
    pairs = _check_request(event, day, by, tables)
    instance, slots, order = build_instance(event, day, pairs, tables)
    if not slots:
        raise ValidationError(_("That day has no meeting slots left."))
    fair = dataclasses.replace(instance, max_breaks=2)
    if on_progress is not None:  # the day is read: say how big it is before solving
        n = len(instance.meetings)
        on_progress(Progress(0, n, n, None, None, None, None, 0.0, time_limit))
    if len(instance.meetings) > LARGE_DAY:
        solution = improve(
            fair,
            time_limit=max(1.0, time_limit - (time.perf_counter() - started)),
            on_progress=on_progress,
            should_stop=should_stop,
            baseline=False,  # first-fit's repairs are slow on crowded days; not worth the wait
        )
        placed_slots = _within_capacity(instance, list(solution.slots))
    else:
        placed_slots, solution = _solve_small(
            instance, fair, time_limit, on_progress, should_stop or (lambda: False)
        )
    with transaction.atomic():
        schedule_run = ScheduleRun.objects.create(
            event=event,
            day=day,
            created_by=by,
            tables=tables,
            time_limit=time_limit,
            seconds=solution.seconds,
            breaks=solution.breaks,
            optimal=solution.optimal,
            solver_status=solution.status,
        )
        DraftMeeting.objects.bulk_create(
            [
                DraftMeeting(
                    run=schedule_run,
                    seller=pair.seller,
                    buyer=pair.buyer,
                    request=pair.request,
                    starts_at=slots[slot - 1] if slot else None,
                    **({} if slot else _why_unplaced(instance, order, i)),
                    needs_interpreter=pair.needs_interpreter,
                    languages=pair.languages,
                )
                for i, (pair, slot) in enumerate(zip(pairs, placed_slots, strict=True))
            ]
        )
    return schedule_run


def _solve_small(
    instance: B2BInstance,
    fair: B2BInstance,
    time_limit: float,
    on_progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool],
) -> tuple[list[int | None], Solution]:
    """Days CP-SAT solves whole: fair first (at most 2 breaks each), then without the cap,
    then greedy; the draft takes whichever places more, then has fewer breaks. A stop request
    is honoured between these steps (each is short on such days)."""
    t0 = time.perf_counter()
    n = len(instance.meetings)

    def tell(solution: Solution | None) -> None:
        if on_progress is not None:
            elapsed = time.perf_counter() - t0
            on_progress(
                Progress(
                    placed=solution.placed if solution else 0,
                    total=n,
                    placeable=n,
                    breaks=solution.breaks if solution else 0,
                    over_cap=0,
                    bound=solution.bound if solution else None,
                    greedy_breaks=candidates[0].breaks,
                    elapsed=elapsed,
                    time_left=max(0.0, time_limit - elapsed),
                )
            )

    candidates = [greedy(instance, restarts=3)]
    tell(candidates[0])
    for target in (fair, instance):
        if should_stop():
            break
        candidates.append(solve(target, time_limit=time_limit / 2, allow_unplaced=True))
        tell(candidates[-1])
    options = [
        (_within_capacity(instance, list(candidate.slots)), candidate) for candidate in candidates
    ]
    placed_slots, solution = max(
        options, key=lambda option: (sum(s is not None for s in option[0]), -option[1].breaks)
    )
    if should_stop() and len(candidates) < 3:
        solution = dataclasses.replace(solution, status="STOPPED")
    return placed_slots, solution


def _within_capacity(instance: B2BInstance, slots: list[int | None]) -> list[int | None]:
    """Belt and braces: whatever path the solver took (its greedy fallback knows no capacity
    groups), no slot keeps more interpreter meetings than interpreters free."""
    for members, capacity in instance.capacity_groups:
        used: dict[int, int] = {}
        for i in members:
            slot = slots[i]
            if slot is None:
                continue
            used[slot] = used.get(slot, 0) + 1
            if used[slot] > capacity.get(slot, 0):
                slots[i] = None
    return slots


def _why_unplaced(instance: B2BInstance, order: list[Company], meeting: int) -> dict[str, object]:
    """A reason the organizer can act on, with company names (the solver speaks in numbers),
    as a code and its parameters (see `UNPLACED_REASONS`): each reader sees it in their language."""
    a, b, _session = instance.meetings[meeting]
    every = set(range(1, instance.n_slots + 1))
    for side, participant in (("seller", a), ("buyer", b)):
        if instance.forbidden.get(participant, set()) >= every:
            name = str(order[participant - 1])  # the side names it again in the reader's language
            return {"reason_code": "no_free_slot", "reason_params": {"name": name, "side": side}}
    common = every - instance.forbidden.get(a, set()) - instance.forbidden.get(b, set())
    if not common:
        return {"reason_code": "no_common_slot"}
    for members, capacity in instance.capacity_groups:
        if meeting in members and not any(capacity.get(slot, 0) for slot in common):
            return {"reason_code": "no_interpreter"}
    return {"reason_code": "slots_full"}


@transaction.atomic
def publish(schedule_run: ScheduleRun, *, by: User) -> tuple[int, list[str]]:
    """Book every placed draft meeting and tell everyone; report those that no longer fit."""
    _require_organizer(by)
    if schedule_run.status != RunStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    booked, problems = 0, []
    event = schedule_run.event
    earliest = timezone.now() + event.min_notice  # the draft may be hours old by now
    for draft in schedule_run.drafts.filter(starts_at__isnull=False).select_related(
        "seller", "buyer", "request"
    ):
        if draft.starts_at < earliest:
            draft.reason_code = "too_soon"
            draft.reason_params = {"minutes": event.min_notice_minutes}
            draft.save(update_fields=["reason_code", "reason_params"])
            problems.append(f"{draft.seller} × {draft.buyer}: {draft.reason_text}")
            continue
        try:
            meeting = meeting_services.book(
                schedule_run.event,
                seller=draft.seller,
                buyer=draft.buyer,
                starts_at=draft.starts_at,
                request=draft.request,
                needs_interpreter=draft.needs_interpreter,
                languages=draft.languages,
            )
        except ValidationError as error:
            draft.reason = " ".join(error.messages)
            draft.save(update_fields=["reason"])
            problems.append(f"{draft.seller} × {draft.buyer}: {draft.reason}")
            continue
        draft.published_meeting = meeting
        draft.save(update_fields=["published_meeting"])
        if draft.request is None:
            request = MeetingRequest.objects.create(
                event=schedule_run.event,
                from_company=draft.buyer,
                to_company=draft.seller,
                state=RequestState.ACCEPTED,
                organizer_schedules=True,
                created_by=by,
                message=_("Scheduled by the organizer (both marked “Must meet”)."),
            )
            Meeting.objects.filter(pk=meeting.pk).update(request=request)
        booked += 1
        for company in (draft.seller, draft.buyer):
            notify_company(company, "meeting_scheduled", meeting=meeting)
    schedule_run.status = RunStatus.PUBLISHED
    schedule_run.published_at = timezone.now()
    schedule_run.save(update_fields=["status", "published_at"])
    audit.record(by, "schedule.published", schedule_run, booked=booked, problems=len(problems))
    return booked, problems


def discard(schedule_run: ScheduleRun, *, by: User) -> None:
    _require_organizer(by)
    if schedule_run.status == RunStatus.DRAFT:
        schedule_run.status = RunStatus.DISCARDED
        schedule_run.save(update_fields=["status"])


def participant_breaks(schedule_run: ScheduleRun) -> dict[int, int]:
    """Idle gaps between each company's meetings in the draft (what the solver minimised)."""
    step = timedelta(minutes=schedule_run.event.slot_minutes)
    times: dict[int, list[datetime]] = {}
    for draft in schedule_run.drafts.filter(starts_at__isnull=False):
        for company_id in (draft.seller_id, draft.buyer_id):
            times.setdefault(company_id, []).append(draft.starts_at)
    breaks = {}
    for company_id, moments in times.items():
        moments.sort()
        breaks[company_id] = sum(1 for a, b in pairwise(moments) if b - a > step)
    return breaks


# --- drafts computed by a background worker --------------------------------------------------


def start_draft(
    event: Event, day: MeetingDay, *, by: User, tables: int = 20, time_limit: float = 30
) -> DraftJob:
    """Queue a draft for the background worker, so that no web request waits for the solver."""
    from .tasks import draft_schedule

    _check_request(event, day, by, tables)
    job = DraftJob.objects.create(
        event=event, day=day, created_by=by, tables=tables, time_limit=time_limit
    )
    transaction.on_commit(lambda: draft_schedule.enqueue(job.pk))
    return job


def request_stop(job: DraftJob, *, by: User) -> None:
    """Ask the worker to stop; it keeps the best schedule found so far as the draft."""
    _require_organizer(by)
    if not job.finished:
        DraftJob.objects.filter(pk=job.pk).update(stop_requested=True)


def execute_job(job_id: int) -> None:
    """The worker's side: solve, report progress into the job row, honour a stop request."""
    job = DraftJob.objects.select_related("event", "day", "created_by").filter(pk=job_id).first()
    if job is None or job.state != JobState.QUEUED or job.created_by is None:
        return
    DraftJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, time_left=job.time_limit)
    checked = {"at": 0.0, "stop": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if now - checked["at"] >= 0.5:
            checked["at"] = now
            checked["stop"] = DraftJob.objects.filter(pk=job.pk, stop_requested=True).exists()
        return checked["stop"]

    def on_progress(progress: Progress) -> None:
        DraftJob.objects.filter(pk=job.pk).update(
            total=progress.total,
            placed=progress.placed,
            breaks=progress.breaks,
            greedy_breaks=progress.greedy_breaks,
            over_cap=progress.over_cap,
            bound=progress.bound,
            time_left=progress.time_left,
            updated_at=timezone.now(),
        )

    try:
        schedule_run = run(
            job.event,
            job.day,
            by=job.created_by,
            tables=job.tables,
            time_limit=job.time_limit,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    except ValidationError as error:
        DraftJob.objects.filter(pk=job.pk).update(
            state=JobState.FAILED, error=" ".join(error.messages)
        )
        return
    except Exception:
        logger.exception("schedule draft job %s failed", job.pk)
        DraftJob.objects.filter(pk=job.pk).update(
            state=JobState.FAILED, error=_("The scheduler failed; the server log has the details.")
        )
        return
    placed = schedule_run.drafts.filter(starts_at__isnull=False).count()
    DraftJob.objects.filter(pk=job.pk).update(
        state=JobState.STOPPED if checked["stop"] else JobState.DONE,
        run=schedule_run,
        placed=placed,
        total=schedule_run.drafts.count(),
        breaks=schedule_run.breaks,
        time_left=0,
    )


def job_progress(job: DraftJob) -> dict[str, object]:
    """What the progress page shows, as JSON for its script (and for the first render)."""
    from django.urls import reverse

    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": job.finished,
        "stop_requested": job.stop_requested,
        "placed": job.placed,
        "total": job.total,
        "breaks": job.breaks,
        "greedy_breaks": job.greedy_breaks,
        "over_cap": job.over_cap,
        "bound": job.bound,
        "time_left": round(job.time_left),
        "error": job.error,
        "run_url": reverse("scheduler:schedule_run", args=[job.run_id]) if job.run_id else None,
    }
