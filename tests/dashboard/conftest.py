"""An event with known counts: the figures tests compare every output with these numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bizweek.accounts.models import Role
from bizweek.companies.models import Company
from bizweek.events.models import Event
from bizweek.expo.models import BoothVisit
from bizweek.matching.models import MeetingRequest, RequestState
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Meeting, MeetingOutcome, MeetingState, Outcome
from tests import factories

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(day: int, hour: int) -> datetime:
    """A moment of the fixture's week (November 2026) in Seoul."""
    return datetime(2026, 11, day, hour, 0, tzinfo=SEOUL)


@dataclass
class Week:
    event: Event
    s1: Company
    s2: Company
    s3: Company
    b1: Company
    b2: Company
    b3: Company
    meetings: list[Meeting]


def make_request(event: Event, sender: Company, receiver: Company, state: str) -> MeetingRequest:
    return MeetingRequest.objects.create(
        event=event, from_company=sender, to_company=receiver, state=state, awaiting=receiver
    )


def make_meeting(event: Event, seller: Company, buyer: Company, starts: datetime, **fields):
    return Meeting.objects.create(
        event=event,
        seller=seller,
        buyer=buyer,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        **fields,
    )


def visit(company: Company, day: int, key: str, views: int = 1, user=None) -> BoothVisit:
    return BoothVisit.objects.create(
        company=company, day=date(2026, 11, day), visitor_key=key, views=views, user=user
    )


@pytest.fixture
def week(db) -> Week:
    return build_week()


def build_week() -> Week:
    """Sellers: S1, S2 approved (KR), S3 pending (KR). Buyers: B1 (TH), B2 (CN) approved, B3
    (US) rejected. Five requests (2 accepted, 1 declined, 1 pending, 1 expired); five
    meetings (four scheduled: two held, one buyer no-show, one undecided; one cancelled);
    logs in USD, KRW and CNY, confirmed and one-sided; booth visits on two days."""
    event = factories.make_event(
        slug="week",
        timezone="Asia/Seoul",
        registration_opens_at=at(1, 0) - timedelta(days=30),
        registration_closes_at=at(1, 0),
        starts_at=at(2, 9),
        ends_at=at(6, 18),
        matching_ends_at=at(30, 18),
    )
    s1 = factories.make_company(name_ko="창원정밀", name_en="Changwon Precision", sectors=["ict"])
    s2 = factories.make_company(name_ko='=HYPERLINK("http://x")', sectors=["machinery"])
    s3 = factories.make_company(name_ko="대기기업", status="pending", sectors=["ict"])
    b1 = factories.make_company(
        role="buyer", name_en="Bangkok Trading", country="TH", timezone="Asia/Bangkok"
    )
    b2 = factories.make_company(
        role="buyer", name_zh_hans="上海贸易", country="CN", timezone="Asia/Shanghai"
    )
    b3 = factories.make_company(
        role="buyer",
        name_en="Late Co",
        country="US",
        timezone="America/New_York",
        status="rejected",
    )
    make_request(event, b1, s1, RequestState.ACCEPTED)
    make_request(event, b2, s1, RequestState.ACCEPTED)
    make_request(event, b1, s2, RequestState.DECLINED)
    make_request(event, b2, s2, RequestState.PENDING)
    make_request(event, s2, b1, RequestState.EXPIRED)
    interpreter = factories.make_user(role=Role.INTERPRETER, email="interp@example.test")
    meetings = [
        make_meeting(
            event,
            s1,
            b1,
            at(3, 10),
            needs_interpreter=True,
            languages="ko-th",
            interpreter=interpreter,
        ),
        make_meeting(event, s1, b2, at(4, 11), needs_interpreter=True, languages="ko-zh"),
        make_meeting(event, s2, b1, at(3, 14), state=MeetingState.CANCELLED),
        make_meeting(event, s2, b2, at(4, 15)),
        make_meeting(event, s2, b1, at(5, 9)),
    ]
    m1, m2, _m3, m4, _m5 = meetings
    for meeting, outcome in ((m1, Outcome.HELD), (m2, Outcome.HELD), (m4, Outcome.NO_SHOW_BUYER)):
        MeetingOutcome.objects.create(meeting=meeting, outcome=outcome)
    organizer = factories.make_organizer()
    meeting_services.set_exchange_rate(event, "KRW", Decimal("0.00075"), by=organizer)
    meeting_services.set_exchange_rate(event, "CNY", Decimal("0.14"), by=organizer)
    file = meeting_services.file_log
    after = at(6, 12)
    # m1: both sides file. Consultation agrees within 1% (100,000 USD vs 134,000,000 KRW =
    # 100,500 USD): confirmed at the seller's 100,000. Expected contract disagrees (50,000 USD
    # vs 350,000 CNY = 49,000 USD): one side, 50,000. Signed 20,000 both: confirmed. MOU both.
    file(
        m1,
        company=s1,
        by=factories.make_member(s1),
        now=after,
        consultation_amount=Decimal("100000"),
        expected_contract_amount=Decimal("50000"),
        signed_contract_amount=Decimal("20000"),
        mou_signed=True,
    )
    file(
        m1,
        company=b1,
        by=factories.make_member(b1),
        now=after,
        consultation_amount=Decimal("134000000"),
        consultation_currency="KRW",
        expected_contract_amount=Decimal("350000"),
        expected_contract_currency="CNY",
        signed_contract_amount=Decimal("20000"),
        mou_signed=True,
    )
    # m2: only the buyer files: 70,000 CNY = 9,800 USD and an MOU, both one side.
    file(
        m2,
        company=b2,
        by=factories.make_member(b2),
        now=after,
        consultation_amount=Decimal("70000"),
        consultation_currency="CNY",
        mou_signed=True,
    )
    b1_member = factories.make_member(b1, email="bangkok@example.test")
    visit(s1, 3, "a", views=2, user=b1_member)
    visit(s1, 3, "b")
    visit(s2, 3, "c", views=3)
    visit(s1, 4, "a")
    visit(s2, 4, "d")
    return Week(event, s1, s2, s3, b1, b2, b3, meetings)
