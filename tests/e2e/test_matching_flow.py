"""A buyer browsing in Chinese requests a meeting; the seller accepts in Korean; both see it
on their own clocks."""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bizweek.matching.models import MeetingDay
from bizweek.meetings.models import Meeting
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_buyer_requests_in_chinese_seller_accepts_in_korean(new_page):
    event = factories.make_event()
    day = (timezone.now() + timedelta(days=3)).date()
    MeetingDay.objects.create(event=event, date=day, starts=time(8), ends=time(22))
    seller = factories.make_company(name_ko="세진하이드로텍", hs_codes=["2804"])
    exhibitor = factories.make_member(seller, email="kim@sejin.example", language="ko")
    buyer_company = factories.make_company(
        role="buyer", name_zh_hans="曼谷华丰国际贸易", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(
        buyer_company, email="chen@huafeng.example", language="zh-hans", timezone="Asia/Bangkok"
    )

    # 1. The buyer, in Chinese, opens the booth and requests a meeting at a proposed time.
    page = new_page(locale="zh-CN")
    login(page, buyer.email)
    page.goto(f"/booths/{seller.pk}/")
    page.click(f"a[href='/matching/requests/new/{seller.pk}/']")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    slots = page.locator("label.slot")
    assert slots.count() == 14  # 11:00–18:00 Seoul = 09:00–16:00 Bangkok, both free
    first_label = slots.first.inner_text()
    # Both clocks, the cities named in the reader's language (CLDR).
    assert "09:00 曼谷" in first_label and "11:00 首尔" in first_label
    slots.nth(0).locator("input").check()
    slots.nth(2).locator("input").check()
    page.fill("#id_message", "想了解氢气储罐的出口价格")
    screenshot(page, "request-new-zh")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/matching/requests/\d+/"))
    assert page.locator("[data-state=pending]").is_visible()

    # 2. The seller, in Korean, accepts the second proposed time from the inbox.
    seller_page = new_page(locale="ko-KR")
    login(seller_page, exhibitor.email)
    seller_page.goto("/matching/requests/")
    assert seller_page.locator("html").get_attribute("lang") == "ko"
    seller_page.click("text=曼谷华丰国际贸易")
    options = seller_page.locator("input[name=slot]")
    assert options.count() == 2
    options.nth(1).check()
    screenshot(seller_page, "request-accept-ko")
    seller_page.click("form[action$='/accept/'] button[type=submit]")
    seller_page.wait_for_url(re.compile(r"/meetings/\d+/"))
    meeting = Meeting.objects.get()
    seoul = meeting.starts_at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%H:%M")
    bangkok = meeting.starts_at.astimezone(ZoneInfo("Asia/Bangkok")).strftime("%H:%M")
    assert seoul == "12:00" and bangkok == "10:00"

    # 3. Both see the meeting on their own clock first, and the other side's next to it.
    seller_page.goto("/meetings/")
    seller_row = seller_page.locator(".agenda-row").first.inner_text()
    assert f"{seoul}–" in seller_row and f"{seoul} 서울 · {bangkok} 방콕" in seller_row
    page.goto("/meetings/")
    buyer_row = page.locator(".agenda-row").first.inner_text()
    assert f"{bangkok}–" in buyer_row and f"{bangkok} 曼谷 · {seoul} 首尔" in buyer_row
    screenshot(page, "my-meetings-zh")
    ics = page.request.get(f"/meetings/{meeting.pk}/meeting.ics")
    assert ics.ok and b"BEGIN:VEVENT" in ics.body()
