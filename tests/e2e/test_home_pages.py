"""Each role's home page leads with what needs doing, and its buttons work."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.events.models import AgendaItem, AgendaKind
from bizweek.matching import services as matching
from bizweek.matching.models import MeetingDay, MeetingRequest, RequestState
from bizweek.meetings import services as meetings
from bizweek.meetings.models import Meeting
from bizweek.notifications.models import Notification
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fair(taxonomy):
    event = factories.make_event(name_en="Changwon Bizweek")
    for offset in (3, 4):
        MeetingDay.objects.create(
            event=event,
            date=(timezone.now() + timedelta(days=offset)).date(),
            starts=time(8),
            ends=time(22),
        )
    seller = factories.make_company(name_ko="세진하이드로텍", name_en="Sejin Hydrotech")
    exhibitor = factories.make_member(seller, email="kim@sejin.example", language="en")
    buyer_company = factories.make_company(
        role="buyer", name_en="Bangkok Huafeng Trading", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(
        buyer_company, email="chen@huafeng.example", language="en", timezone="Asia/Bangkok"
    )
    return {"event": event, "seller": seller, "exhibitor": exhibitor, "buyer": buyer}


def test_exhibitor_home_accepts_a_waiting_request_with_one_click(new_page, fair):
    event, exhibitor, buyer = fair["event"], fair["exhibitor"], fair["buyer"]
    slots = matching.common_slots(event, fair["seller"], buyer.company)[:2]
    request = matching.create_request(
        event, fair["seller"], by=buyer, slots=slots, message="Price of hydrogen tanks?"
    )
    page = new_page()
    login(page, exhibitor.email)
    todo = page.locator("#to-answer")
    assert "1 request needs your answer" in todo.inner_text()
    assert "Bangkok Huafeng Trading" in todo.inner_text()
    buttons = todo.locator("button", has_text="Accept")
    assert buttons.count() == 2
    assert "Seoul" in buttons.first.inner_text() and "Bangkok" in buttons.first.inner_text()
    buttons.nth(1).click()
    page.wait_for_url(re.compile(r"/meetings/\d+/"))
    meeting = Meeting.objects.get(request=request)
    assert meeting.starts_at == slots[1]
    page.goto("/accounts/me/")
    assert page.locator("#to-answer").count() == 0
    next_card = page.locator("#next-meeting")
    assert "Bangkok Huafeng Trading" in next_card.inner_text()
    assert page.locator("#next-meeting .countdown").inner_text().startswith("in ")
    screenshot(page, "home-exhibitor")


def test_buyer_home_shows_the_next_meeting_and_the_week_by_day(new_page, fair):
    event, buyer = fair["event"], fair["buyer"]
    first = matching.common_slots(event, fair["seller"], buyer.company)[0]
    meetings.book(event, seller=fair["seller"], buyer=buyer.company, starts_at=first)
    page = new_page(locale="zh-CN")
    login(page, buyer.email)
    assert page.locator("html").get_attribute("lang") == "en"  # the account's language
    card = page.locator("#next-meeting")
    assert "Sejin Hydrotech" in card.inner_text()
    assert "Bangkok" in card.inner_text() and "Seoul" in card.inner_text()
    join = page.locator("#join-next")
    assert join.inner_text() == "Video room"
    assert re.search(r"/meetings/\d+/room/$", join.get_attribute("href"))
    week = page.locator("#today")
    assert "This week" in week.inner_text() and "Sejin Hydrotech" in week.inner_text()
    assert page.locator("#today .agenda-row").count() == 1


def test_interpreter_home_lists_assignments_by_day(new_page, fair):
    event = fair["event"]
    interpreter = factories.make_user(
        role=Role.INTERPRETER, email="li@interp.example", languages="ko-zh", language="en"
    )
    slot = matching.common_slots(event, fair["seller"], fair["buyer"].company)[0]
    meeting = meetings.book(
        event, seller=fair["seller"], buyer=fair["buyer"].company, starts_at=slot
    )
    Meeting.objects.filter(pk=meeting.pk).update(interpreter=interpreter)
    page = new_page()
    login(page, interpreter.email)
    assignments = page.locator("#assignments")
    assert "Sejin Hydrotech × Bangkok Huafeng Trading" in assignments.inner_text()
    assert "Find partners" not in page.content()


def test_host_home_shows_the_next_show(new_page, fair):
    start = timezone.now() + timedelta(hours=5)
    AgendaItem.objects.create(
        event=fair["event"],
        kind=AgendaKind.PR_SESSION,
        title_en="Hydrogen valley live",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    host = factories.make_user(role=Role.HOST, email="host@demo.example", language="en")
    page = new_page()
    login(page, host.email)
    assert "Hydrogen valley live" in page.locator("#next-show").inner_text()


def test_organizer_home_shows_the_queue_and_what_failed(new_page, fair):
    event = fair["event"]
    factories.make_company(name_en="Pending Robotics", status="pending")
    MeetingRequest.objects.create(
        event=event,
        from_company=fair["buyer"].company,
        to_company=fair["seller"],
        state=RequestState.ACCEPTED,
        organizer_schedules=True,
    )
    Notification.objects.create(
        user=fair["buyer"], kind="request_received", title="Lost mail", mail_failed=True
    )
    organizer = factories.make_organizer(email="org@demo.example", language="en")
    page = new_page()
    login(page, organizer.email)
    assert "Pending Robotics" in page.locator("#approvals").inner_text()
    problems = page.locator("#problems").inner_text()
    assert "1 accepted meeting has no time yet" in problems
    assert "Sejin Hydrotech" in problems
    assert "1 e-mail could not be sent this week" in problems
    assert "chen@huafeng.example" in problems
    page.click("#approvals a.button")
    page.wait_for_url(re.compile(r"/organizer/"))


def test_visitor_home_leads_to_the_hall_and_the_agenda(new_page, fair):
    start = timezone.now() + timedelta(hours=2)
    AgendaItem.objects.create(
        event=fair["event"],
        kind=AgendaKind.SEMINAR,
        title_en="Export seminar",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    visitor = factories.make_user(role=Role.VISITOR, email="v@demo.example", language="en")
    page = new_page()
    login(page, visitor.email)
    assert "Export seminar" in page.locator("#agenda").inner_text()
    page.click("text=Visit the exhibition hall")
    page.wait_for_url(re.compile(r"/hall/"))
