"""The organizer runs the auto-scheduler, reviews the draft in the browser and publishes it."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.core.tasks import run_pending_jobs
from bizweek.matching.models import Mark, MeetingDay, MeetingRequest, RequestState, ScheduleRun
from bizweek.meetings.models import Booking, Meeting
from bizweek.notifications.models import Notification
from tests import factories
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_organizer_drafts_reviews_and_publishes_a_schedule(new_page):
    event = factories.make_event()
    day = (timezone.now() + timedelta(days=3)).date()
    meeting_day = MeetingDay.objects.create(event=event, date=day, starts=time(9), ends=time(18))
    organizer = factories.make_organizer(email="org@example.test")
    sellers = [factories.make_company(name_ko=f"판매사{i}") for i in range(3)]
    buyers = [
        factories.make_company(
            role="buyer", name_zh_hans=f"买家{i}", country="TH", timezone="Asia/Bangkok"
        )
        for i in range(3)
    ]
    for company in (*sellers, *buyers):
        factories.make_member(company)
    for seller in sellers:  # every buyer accepted a meeting with every seller, time to be set
        for buyer in buyers:
            MeetingRequest.objects.create(
                event=event,
                from_company=buyer,
                to_company=seller,
                state=RequestState.ACCEPTED,
                organizer_schedules=True,
            )
    extra = factories.make_company(
        role="buyer", name_en="Mutual Must Ltd", country="MY", timezone="Asia/Kuala_Lumpur"
    )
    factories.make_member(extra)
    Mark.objects.create(company=sellers[0], target=extra, value="must")
    Mark.objects.create(company=extra, target=sellers[0], value="must")

    page = new_page(locale="en-US")
    login(page, organizer.email)
    page.goto("/organizer/schedule/")
    assert "(9)" in page.content() and "(1)" in page.content()
    page.select_option("#id_day", str(meeting_day.pk))
    page.fill("#id_tables", "3")
    page.fill("#id_time_limit", "6")
    page.click("button[type=submit].primary")
    # The solve is a background job: the page shows its progress until the worker is done.
    page.wait_for_url(re.compile(r"/organizer/schedule/jobs/\d+/"))
    assert page.locator("#draft-progress").is_visible()
    assert page.locator("[data-job-state=queued]").is_visible()
    assert page.locator("button[value=stop]").is_visible()
    assert not ScheduleRun.objects.exists()  # the request did not wait for the solver
    run_pending_jobs()
    page.wait_for_url(re.compile(r"/organizer/schedule/\d+/$"))
    assert page.locator("[data-run-status=draft]").is_visible()
    assert page.locator("#placed-count").inner_text() == "10"
    assert not Meeting.objects.exists()  # a draft books nothing and tells no one

    page.click("button[value=publish]")
    page.wait_for_selector("[data-run-status=published]")
    assert Meeting.objects.count() == 10
    for slot in Booking.objects.values_list("starts_at", flat=True).distinct():
        assert Meeting.objects.filter(starts_at=slot).count() <= 3  # room capacity
    assert Booking.objects.count() == 20  # nobody double-booked: the unique constraint held
    assert Notification.objects.filter(kind="meeting_scheduled").count() == 2 * 10
