"""Reminders: to companies without meetings and to sides that have not filed their log, in
their language, at most every two days, and not at all when the organizer switches them off."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from bizweek.core.tasks import run_pending_jobs
from bizweek.dashboard import nudges
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import MeetingOutcome, MeetingPolicy, Outcome
from bizweek.notifications.models import Notification
from tests import factories

from .conftest import make_meeting


def test_nudges_remind_company_without_meeting_in_its_language(event, seller):
    member = factories.make_member(seller, language="ko")
    assert nudges.run(event) == 1
    note = Notification.objects.get(user=member)
    assert note.kind == "nudge_no_meeting"
    assert "아직 예약된 상담이 없습니다" in note.title


def test_nudges_wait_two_days_before_reminding_again(event, seller):
    factories.make_member(seller)
    assert nudges.run(event) == 1
    assert nudges.run(event) == 0
    assert nudges.run(event, now=timezone.now() + timedelta(days=2, minutes=1)) == 1


def test_nudges_skip_companies_with_a_meeting(event, seller, buyer_company):
    factories.make_member(seller)
    factories.make_member(buyer_company)
    make_meeting(event, seller, buyer_company, timezone.now() + timedelta(hours=2))
    assert nudges.run(event) == 0


def test_nudges_remind_side_without_its_log(event, seller, buyer_company):
    seller_member = factories.make_member(seller)
    buyer_member = factories.make_member(buyer_company, language="zh-hans")
    meeting = make_meeting(event, seller, buyer_company, timezone.now() - timedelta(hours=2))
    MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.HELD)
    meeting_services.file_log(meeting, company=seller, by=seller_member, consultation_amount=1)
    assert nudges.run(event) == 1
    note = Notification.objects.get()
    assert note.user == buyer_member and note.kind == "nudge_unfiled_log"
    assert "洽谈记录" in note.title


def test_log_reminders_go_on_after_matching_until_the_reporting_deadline(
    event, seller, buyer_company
):
    seller_member = factories.make_member(seller)
    factories.make_member(buyer_company)  # has a meeting: never a "no meeting" reminder
    lonely = factories.make_member(factories.make_company(name_en="Lonely Co"))
    meeting = make_meeting(event, seller, buyer_company, timezone.now() - timedelta(hours=2))
    MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.HELD)
    after_matching = event.matching_ends_at + timedelta(days=1)
    MeetingPolicy.objects.create(event=event, report_deadline=after_matching + timedelta(days=3))
    assert nudges.run(event, now=after_matching) == 2  # both sides of the unlogged meeting
    kinds = set(Notification.objects.values_list("user", "kind"))
    assert (seller_member.pk, "nudge_unfiled_log") in kinds
    assert not Notification.objects.filter(user=lonely).exists()
    assert nudges.run(event, now=after_matching + timedelta(days=4)) == 0  # past the deadline


def test_nudges_switched_off_send_nothing_and_are_audited(event, seller, organizer):
    from bizweek.audit.models import AuditEntry

    factories.make_member(seller)
    nudges.switch(event, on=False, by=organizer)
    assert nudges.run(event) == 0
    assert AuditEntry.objects.get().action == "nudges.switched"


def test_nudges_switch_page_refuses_exhibitor(client, event, seller):
    from django.core.cache import cache

    cache.clear()
    client.force_login(factories.make_member(seller))
    assert client.post("/organizer/figures/nudges/", {"on": "0"}).status_code == 403
    assert nudges.enabled(event)


def test_nudges_job_runs_in_worker(transactional_db, event, seller):
    factories.make_member(seller)
    nudges.send_nudges.enqueue()
    run_pending_jobs()
    assert Notification.objects.filter(kind="nudge_no_meeting").count() == 1
