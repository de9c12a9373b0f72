"""Either side proposes another time for an accepted meeting; the other accepts it."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.matching import services as matching
from bizweek.matching.models import MeetingDay
from bizweek.meetings.models import Meeting
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_buyer_proposes_a_new_time_and_the_exhibitor_accepts_it(new_page, taxonomy):
    event = factories.make_event()
    for offset in (3, 4):
        MeetingDay.objects.create(
            event=event,
            date=(timezone.now() + timedelta(days=offset)).date(),
            starts=time(8),
            ends=time(22),
        )
    seller = factories.make_company(name_en="Sejin Hydrotech")
    exhibitor = factories.make_member(seller, email="kim@sejin.example", language="ko")
    buyer_company = factories.make_company(
        role="buyer", name_en="Bangkok Huafeng", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(
        buyer_company, email="chen@huafeng.example", language="en", timezone="Asia/Bangkok"
    )
    slots = matching.common_slots(event, seller, buyer_company)
    request = matching.create_request(event, seller, by=buyer, slots=slots[:1])
    meeting = matching.accept(request, slots[0], by=exhibitor)
    old = meeting.starts_at

    page = new_page()
    login(page, buyer.email)
    page.goto(f"/meetings/{meeting.pk}/")
    picker = page.locator("#move details")
    assert not picker.locator("label.slot").first.is_visible()  # collapsed until asked
    picker.locator("summary").click()
    tabs = picker.locator(".day-tab")
    assert tabs.count() == 2  # both meeting days: moving within its own day is allowed
    tabs.nth(1).click()
    picker.locator("label.slot:visible").nth(2).locator("input").check()
    picker.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "keeps its time until they accept" in page.locator("#move").inner_text()
    page.fill("#thread-body", "Could we meet a day later?")
    page.click("#thread button[type=submit]")
    page.wait_for_load_state()

    seller_page = new_page(locale="ko-KR")
    login(seller_page, exhibitor.email)
    seller_page.goto(f"/meetings/{meeting.pk}/")
    assert "Could we meet a day later?" in seller_page.locator("#thread").inner_text()
    move = seller_page.locator("#move form[action$='/accept/'] button")
    assert move.count() == 1
    screenshot(seller_page, "move-proposed-ko")
    move.click()
    seller_page.wait_for_load_state()
    meeting.refresh_from_db()
    assert meeting.starts_at != old
    assert meeting.starts_at - old >= timedelta(hours=20)  # to the next day
    shown = seller_page.locator("#meeting-time").inner_text()
    assert (
        timezone.localtime(meeting.starts_at, timezone.get_fixed_timezone(540)).strftime("%H:%M")
        in shown
    )
    assert Meeting.objects.get(pk=meeting.pk).sequence == 1
