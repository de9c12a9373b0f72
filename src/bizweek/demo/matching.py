"""Demo business matching: meeting days, and requests and meetings in every state."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from bizweek.accounts.models import User
from bizweek.companies.models import Company
from bizweek.events.models import Event
from bizweek.matching.models import Mark, MeetingDay, MeetingRequest, ProposedSlot, RequestState
from bizweek.matching.services import in_default_hours, slot_starts
from bizweek.meetings.models import (
    Booking,
    ConsultationLog,
    ExchangeRate,
    Meeting,
    MeetingOutcome,
    Outcome,
    company_key,
)
from bizweek.meetings.services import refresh_confirmation

# Per scale unit: how many requests end in each state.
UNSCHEDULED = "unscheduled"  # accepted, the organizer's scheduler picks the time
MUTUAL_MUST_MEET = 15
STATES = {
    RequestState.ACCEPTED: 160,
    UNSCHEDULED: 40,
    RequestState.PENDING: 90,
    RequestState.DECLINED: 40,
    RequestState.CANCELLED: 25,
    RequestState.EXPIRED: 25,
}


def meeting_days(event: Event) -> list[MeetingDay]:
    """The live week every day, then weekdays until matching ends; 08:00–22:00 event time."""
    tz = ZoneInfo(event.timezone)
    first = event.starts_at.astimezone(tz).date()
    last = event.matching_ends_at.astimezone(tz).date()
    live_end = event.ends_at.astimezone(tz).date()
    days, day = [], first
    while day < last:
        if day <= live_end or day.weekday() < 5:
            days.append(MeetingDay(event=event, date=day, starts=time(8), ends=time(22)))
        day += timedelta(days=1)
    return MeetingDay.objects.bulk_create(days)


def build_matching(
    event: Event,
    sellers: list[Company],
    buyers: list[Company],
    rng: random.Random,
    scale: int,
    first_pair: tuple[Company, Company],
) -> dict[str, int]:
    meeting_days(event)
    grid = slot_starts(event)
    step = timedelta(minutes=event.slot_minutes)
    now = timezone.now()
    busy: set[tuple[int, datetime]] = set()
    pairs: set[tuple[int, int]] = set()
    users = dict(
        User.objects.filter(company__in=[*sellers, *buyers]).values_list("company_id", "pk")
    )

    def common(seller: Company, buyer: Company, future: bool | None) -> list[datetime]:
        return [
            s
            for s in grid
            if (future is None or (s > now) == future)
            and in_default_hours(s, s + step, seller.timezone)
            and in_default_hours(s, s + step, buyer.timezone)
            and (seller.pk, s) not in busy
            and (buyer.pk, s) not in busy
        ]

    requests, slots, meetings = [], [], []
    plan = [state for state, count in STATES.items() for _ in range(count * scale)]
    rng.shuffle(plan)
    # The demo logins' companies get a request in each state, so every page has something.
    seeded = [first_pair] * len(STATES)
    for number, state in enumerate(list(STATES) + plan):
        if number < len(STATES):
            seller, buyer = seeded[number]
            if state != RequestState.ACCEPTED and number:
                buyer = buyers[(number * 7) % len(buyers)]
        else:
            seller, buyer = rng.choice(sellers), rng.choice(buyers)
        if (seller.pk, buyer.pk) in pairs:
            continue
        wanted_future = {
            RequestState.PENDING: True,
            RequestState.EXPIRED: False,
            UNSCHEDULED: True,
        }.get(state)
        options = common(seller, buyer, wanted_future)
        if not options:
            continue
        pairs.add((seller.pk, buyer.pk))
        chosen = sorted(rng.sample(options, min(3, len(options))))
        from_seller = rng.random() < 0.3
        sender, receiver = (seller, buyer) if from_seller else (buyer, seller)
        request = MeetingRequest(
            event=event,
            from_company=sender,
            to_company=receiver,
            awaiting=receiver if state == RequestState.PENDING else None,
            created_by_id=users.get(sender.pk),
            state=RequestState.ACCEPTED if state == UNSCHEDULED else state,
            organizer_schedules=state == UNSCHEDULED,
            message=rng.choice(DEMO_MESSAGES),
            needs_interpreter=rng.random() < 0.35,
            languages=rng.choice(["ko-zh", "ko-en"]),
            decline_reason=rng.choice(DECLINE_REASONS) if state == RequestState.DECLINED else "",
        )
        request.pair_low, request.pair_high = sorted((sender.pk, receiver.pk))
        requests.append((request, chosen, sender, seller, buyer))
        if state == RequestState.ACCEPTED:
            for company in (seller, buyer):
                busy.add((company.pk, chosen[0]))
    MeetingRequest.objects.bulk_create([r for r, *_ in requests], batch_size=1000)
    for request, chosen, sender, seller, buyer in requests:
        slots += [ProposedSlot(request=request, starts_at=s, proposed_by=sender) for s in chosen]
        if request.state == RequestState.ACCEPTED and not request.organizer_schedules:
            meetings.append(
                Meeting(
                    event=event,
                    request=request,
                    seller=seller,
                    buyer=buyer,
                    starts_at=chosen[0],
                    ends_at=chosen[0] + step,
                    needs_interpreter=request.needs_interpreter,
                    languages=request.languages,
                )
            )
    ProposedSlot.objects.bulk_create(slots, batch_size=2000)
    Meeting.objects.bulk_create(meetings, batch_size=1000)
    Booking.objects.bulk_create(
        [
            Booking(meeting=m, participant=company_key(company_id), starts_at=m.starts_at)
            for m in meetings
            for company_id in (m.seller_id, m.buyer_id)
        ],
        batch_size=2000,
    )
    counts = dict.fromkeys(RequestState.values, 0)
    for request, *_ in requests:
        counts[request.state] += 1
    to_schedule = sum(1 for request, *_ in requests if request.organizer_schedules)
    mutual = _marks(sellers, buyers, rng, scale, pairs)
    logs = _outcomes_and_logs(event, [m for m in meetings if m.ends_at < now], len(meetings))
    return counts | {
        "meetings": len(meetings),
        "consultation_logs": logs,
        "to_schedule": to_schedule,
        "mutual_must_meet": mutual,
    }


def _outcomes_and_logs(event: Event, past: list[Meeting], seed: int) -> int:
    """Outcomes of the meetings already over and their 상담일지 in USD, KRW and CNY, some
    confirmed by both sides and some one-sided, so the organizer's figures have numbers. Uses
    its own random generator: the rest of the demo stays the same for a given seed."""
    rng = random.Random(seed)
    rates = {"USD": Decimal(1), "KRW": Decimal("0.00073"), "CNY": Decimal("0.138")}
    for currency in ("KRW", "CNY"):
        ExchangeRate.objects.update_or_create(
            event=event, currency=currency, defaults={"usd_per_unit": rates[currency]}
        )
    outcomes, logs = [], []
    for meeting in past:
        draw = rng.random()
        if draw < 0.08:
            outcomes.append(MeetingOutcome(meeting=meeting, outcome=Outcome.NO_SHOW_BUYER))
            continue
        if draw < 0.12:
            outcomes.append(MeetingOutcome(meeting=meeting, outcome=Outcome.NO_SHOW_SELLER))
            continue
        outcomes.append(
            MeetingOutcome(meeting=meeting, outcome=Outcome.HELD, together_seconds=1500)
        )
        usd = Decimal(rng.randrange(5, 400) * 1000)
        agree, mou = rng.random() < 0.6, rng.random() < 0.08
        signed = usd / 10 if rng.random() < 0.25 else None
        for company_id in (meeting.seller_id, meeting.buyer_id):
            buyer_side = company_id == meeting.buyer_id
            if buyer_side and rng.random() < 0.3:
                continue  # the buyer has not filed: one-sided
            value = usd if agree or not buyer_side else usd * Decimal("1.25")
            currency = rng.choice(["USD", "KRW"]) if not buyer_side else rng.choice(list(rates))
            logs.append(
                ConsultationLog(
                    meeting=meeting,
                    company_id=company_id,
                    consultation_amount=(value / rates[currency]).quantize(Decimal("0.01")),
                    consultation_currency=currency,
                    consultation_usd=value,
                    expected_contract_amount=value / 2,
                    expected_contract_usd=value / 2,
                    signed_contract_amount=signed,
                    signed_contract_usd=signed,
                    mou_signed=mou,
                    interest=rng.choice(["high", "medium", "low"]),
                )
            )
    MeetingOutcome.objects.bulk_create(outcomes, batch_size=1000)
    ConsultationLog.objects.bulk_create(logs, batch_size=1000)
    for meeting in {log.meeting for log in logs}:
        refresh_confirmation(meeting)
    return len(logs)


def _marks(
    sellers: list[Company],
    buyers: list[Company],
    rng: random.Random,
    scale: int,
    taken: set[tuple[int, int]],
) -> int:
    """Mutual "Must meet" pairs (for the scheduler) and some one-sided marks."""
    marks, mutual = [], 0
    while mutual < MUTUAL_MUST_MEET * scale:
        seller, buyer = rng.choice(sellers), rng.choice(buyers)
        if (seller.pk, buyer.pk) in taken:
            continue
        taken.add((seller.pk, buyer.pk))
        marks += [
            Mark(company=seller, target=buyer, value="must"),
            Mark(company=buyer, target=seller, value="must"),
        ]
        mutual += 1
    for _ in range(60 * scale):
        seller, buyer = rng.choice(sellers), rng.choice(buyers)
        if (seller.pk, buyer.pk) not in taken:
            taken.add((seller.pk, buyer.pk))
            value = rng.choice(["must", "meet", "meet", "no"])
            marks.append(Mark(company=buyer, target=seller, value=value))
    Mark.objects.bulk_create(marks, batch_size=1000)
    return mutual


DEMO_MESSAGES = [
    "贵公司的产品很适合我们在泰国的渠道，希望视频洽谈。",
    "We distribute in Malaysia and Singapore and would like to discuss pricing and MOQ.",
    "안녕하세요. 귀사의 제품에 관심이 있어 상담을 요청드립니다.",
    "想了解OEM合作和样品价格。",
    "Could you share your export price list and lead times?",
    "我们在洛杉矶有批发仓库，希望洽谈独家代理。",
]
DECLINE_REASONS = [
    "",
    "현재 해당 시장 진출 계획이 없습니다.",
    "Not our product range.",
    "时间不合适",
]
