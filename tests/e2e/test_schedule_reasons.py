"""An organizer reading the auto-scheduler's draft in Chinese, then publishing it late."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bizweek.matching.models import DraftMeeting, MeetingDay, ScheduleRun
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_draft_reasons_in_chinese_and_too_soon_meetings_left_unpublished(new_page):
    event = factories.make_event()
    day = MeetingDay.objects.create(
        event=event, date=(timezone.now() + timedelta(days=1)).date(), starts=time(9), ends=time(18)
    )
    organizer = factories.make_organizer(language="zh-hans")
    run = ScheduleRun.objects.create(event=event, day=day, created_by=organizer, tables=5)
    seller = factories.make_company(name_ko="한빛", name_zh_hans="韩光")
    buyer = factories.make_company(role="buyer", name_zh_hans="曼谷买家", country="TH")
    DraftMeeting.objects.create(
        run=run,
        seller=seller,
        buyer=buyer,
        reason_code="no_free_slot",
        reason_params={"name": "한빛", "side": "seller"},
    )
    now = timezone.now().replace(second=0, microsecond=0)
    DraftMeeting.objects.create(
        run=run,
        seller=factories.make_company(name_zh_hans="太早"),
        buyer=buyer,
        starts_at=now + timedelta(minutes=20),
    )
    page = new_page("zh-CN")
    page.goto("/accounts/login/")
    page.fill("#id_username", organizer.email)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/accounts/me/"))
    page.goto(reverse("scheduler:schedule_run", args=[run.pk]))
    assert "韩光" in page.inner_text("main")
    assert "has no free slot" not in page.inner_text("main")
    page.click("button[value=publish]")
    page.wait_for_selector("#unpublished")
    assert "未发布" in page.inner_text("#unpublished")
    screenshot(page, "schedule-left-unpublished-zh")
