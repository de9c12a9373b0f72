"""Interpreter assignment: the interpreter is booked into the slot like a company."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.matching import services
from bizweek.matching.models import MeetingDay
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Booking, user_key
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(event, seller, buyer_company):
    date = (timezone.now() + timedelta(days=7)).date()
    MeetingDay.objects.create(event=event, date=date, starts=time(8), ends=time(22))
    slot = services.common_slots(event, seller, buyer_company)[0]
    return meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=slot)


@pytest.fixture
def interpreters(db):
    return [factories.make_user(role=Role.INTERPRETER) for _ in range(2)]


def test_assign_interpreter_then_another_moves_the_booking(meeting, interpreters, organizer):
    first, second = interpreters
    meeting_services.assign_interpreter(meeting, first, by=organizer)
    assert Booking.objects.filter(participant=user_key(first.pk)).count() == 1
    meeting_services.assign_interpreter(meeting, second, by=organizer)
    meeting.refresh_from_db()
    assert meeting.interpreter == second
    assert not Booking.objects.filter(participant=user_key(first.pk)).exists()
    assert Booking.objects.filter(participant=user_key(second.pk)).count() == 1
    # The first one is free again for other meetings at that time.
    assert first in meeting_services.interpreters_free_at(meeting)


def test_assign_same_interpreter_again_keeps_the_assignment(meeting, interpreters, organizer):
    meeting_services.assign_interpreter(meeting, interpreters[0], by=organizer)
    meeting_services.assign_interpreter(meeting, interpreters[0], by=organizer)
    meeting.refresh_from_db()
    assert meeting.interpreter == interpreters[0]
    assert Booking.objects.filter(participant=user_key(interpreters[0].pk)).count() == 1
