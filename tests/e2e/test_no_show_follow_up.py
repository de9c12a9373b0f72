"""After a no-show, the exhibitor who came opens the notification and asks the absent buyer for
another time with the slot picker."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.matching.models import MeetingDay, MeetingRequest
from bizweek.meetings import services
from bizweek.meetings.models import Outcome
from tests import factories
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_exhibitor_requests_another_time_from_the_no_show_notification(new_page):
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
    factories.make_member(buyer_company, email="chen@huafeng.example")
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    meeting = factories.make_meeting(event, seller, buyer_company, starts_at=start)
    came = services.record_join(meeting, exhibitor, now=start)
    services.record_leave(came.pk, now=start + timedelta(minutes=20))
    assert services.decide_outcome(meeting).outcome == Outcome.NO_SHOW_BUYER

    page = new_page(locale="ko-KR")
    login(page, exhibitor.email)
    page.goto("/notifications/")
    page.get_by_role("link", name="다른 시간 요청").click()
    page.wait_for_url(f"**/matching/requests/new/{buyer_company.pk}/")
    page.locator("label.slot:visible").first.locator("input").check()
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url("**/matching/requests/*/")
    request = MeetingRequest.objects.get()
    assert (request.from_company, request.to_company) == (seller, buyer_company)
    assert request.slots.count() == 1
