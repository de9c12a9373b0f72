"""The slot picker: days as tabs, both clocks on every slot, the limit counted as you pick;
and the same form without JavaScript."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.matching.models import MeetingDay, MeetingRequest
from tests import factories
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(taxonomy):
    event = factories.make_event()
    for offset in (3, 4, 5):
        MeetingDay.objects.create(
            event=event,
            date=(timezone.now() + timedelta(days=offset)).date(),
            starts=time(8),
            ends=time(22),
        )
    seller = factories.make_company(name_en="Sejin Hydrotech")
    factories.make_member(seller, email="kim@sejin.example", language="en")
    buyer_company = factories.make_company(
        role="buyer", name_en="Bangkok Huafeng", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(
        buyer_company, email="chen@huafeng.example", language="en", timezone="Asia/Bangkok"
    )
    return seller, buyer


def test_slot_picker_shows_day_tabs_and_stops_at_the_limit(new_page, pair):
    seller, buyer = pair
    page = new_page()
    login(page, buyer.email)
    page.goto(f"/matching/requests/new/{seller.pk}/")
    tabs = page.locator(".day-tab")
    assert tabs.count() == 3
    visible = page.locator("label.slot:visible")
    assert visible.count() == 14  # one day: 09:00–16:00 Bangkok = 11:00–18:00 Seoul
    assert "09:00 Bangkok" in visible.first.inner_text()
    assert "11:00 Seoul" in visible.first.inner_text()
    for n in range(3):
        visible.nth(n).locator("input").check()
    tabs.nth(1).click()
    visible = page.locator("label.slot:visible")
    visible.nth(0).locator("input").check()
    visible.nth(1).locator("input").check()
    counter = page.locator(".slot-count")
    assert counter.inner_text().startswith("5 of 5 chosen")
    assert visible.nth(2).locator("input").is_disabled()
    assert "(2)" in tabs.nth(1).inner_text() and "(3)" in tabs.nth(0).inner_text()
    visible.nth(1).locator("input").uncheck()
    assert counter.inner_text() == "4 of 5 chosen"
    assert visible.nth(2).locator("input").is_enabled()
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/matching/requests/\d+/"))
    request = MeetingRequest.objects.get()
    assert request.slots.count() == 4


def test_slot_picker_without_javascript_is_a_plain_form(browser, live_server, pair):
    seller, buyer = pair
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, buyer.email)
        page.goto(f"/matching/requests/new/{seller.pk}/")
        assert page.locator(".day-tab").count() == 0
        assert page.locator("label.slot:visible").count() == 3 * 14  # every day shown
        page.locator("label.slot input").nth(20).check()
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r"/matching/requests/\d+/"))
        assert MeetingRequest.objects.get().slots.count() == 1
    finally:
        context.close()
