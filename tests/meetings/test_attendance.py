"""Attendance from the room's WebSocket decides the outcome after the slot."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from bizweek.meetings import services
from bizweek.meetings.models import MeetingPolicy, Outcome
from bizweek.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(event, seller, buyer_company):
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return factories.make_meeting(event, seller, buyer_company, starts_at=start)


def stay(meeting, user, start_minute: int, end_minute: int) -> None:
    attendance = services.record_join(
        meeting, user, now=meeting.starts_at + timedelta(minutes=start_minute)
    )
    services.record_leave(attendance.pk, now=meeting.starts_at + timedelta(minutes=end_minute))


def test_outcome_held_when_both_sides_together_five_minutes(meeting, exhibitor, buyer):
    stay(meeting, exhibitor, 0, 20)
    stay(meeting, buyer, 14, 25)
    assert services.decide_outcome(meeting).outcome == Outcome.HELD
    assert meeting.outcome.together_seconds == 6 * 60


def test_outcome_partial_when_together_less_than_minimum(meeting, exhibitor, buyer):
    stay(meeting, exhibitor, 0, 10)
    stay(meeting, buyer, 7, 12)
    assert services.decide_outcome(meeting).outcome == Outcome.PARTIAL


def test_outcome_minimum_is_configurable(meeting, exhibitor, buyer, event):
    MeetingPolicy.objects.create(event=event, held_minutes=2)
    stay(meeting, exhibitor, 0, 10)
    stay(meeting, buyer, 7, 12)
    assert services.decide_outcome(meeting).outcome == Outcome.HELD


def test_outcome_reload_intervals_add_up(meeting, exhibitor, buyer):
    stay(meeting, exhibitor, 0, 3)
    stay(meeting, exhibitor, 3, 10)  # a page reload
    stay(meeting, buyer, 0, 10)
    assert services.decide_outcome(meeting).outcome == Outcome.HELD


def test_outcome_no_show_buyer_notifies_seller(meeting, exhibitor, buyer):
    stay(meeting, exhibitor, 0, 30)
    assert services.decide_outcome(meeting).outcome == Outcome.NO_SHOW_BUYER
    assert Notification.objects.filter(user=exhibitor, kind="meeting_no_show").exists()
    assert not Notification.objects.filter(user=buyer, kind="meeting_no_show").exists()


def test_outcome_no_show_both_when_nobody_came(meeting):
    assert services.decide_outcome(meeting).outcome == Outcome.NO_SHOW_BOTH


def test_outcome_not_decided_before_slot_ends(event, seller, buyer_company, exhibitor):
    meeting = factories.make_meeting(event, seller, buyer_company)
    stay(meeting, exhibitor, 0, 1)
    assert services.decide_outcome(meeting) is None


def test_report_not_happened_overrides_attendance(meeting, exhibitor, buyer):
    stay(meeting, exhibitor, 0, 30)
    stay(meeting, buyer, 0, 30)
    services.decide_outcome(meeting)
    services.report_not_happened(meeting, by=buyer, note="Sound never worked")
    meeting.outcome.refresh_from_db()
    assert meeting.outcome.outcome == Outcome.DID_NOT_HAPPEN
    assert services.decide_outcome(meeting).outcome == Outcome.DID_NOT_HAPPEN


def test_report_not_happened_by_outsider_is_refused(meeting):
    outsider = factories.make_member(factories.make_company())
    with pytest.raises(PermissionDenied):
        services.report_not_happened(meeting, by=outsider)


def test_record_join_of_outsider_is_refused(meeting):
    with pytest.raises(PermissionDenied):
        services.record_join(meeting, factories.make_member(factories.make_company()))


def test_decide_due_outcomes_decides_only_finished_meetings(meeting, event, seller, buyer_company):
    factories.make_meeting(event, seller, buyer_company)
    assert services.decide_due_outcomes() == 1
