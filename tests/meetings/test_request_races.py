"""A request answered in two places at once must end in one consistent state.

Each test replays a race deterministically: one side read the request while it was still
pending (its page or API call loaded it), the other side accepted it, then the first side acts
on what it read. The meeting and the request must agree afterwards.
"""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bizweek.matching import services
from bizweek.matching.models import MeetingDay, MeetingRequest, RequestState
from bizweek.meetings.models import Booking, Meeting, MeetingState
from tests import factories

pytestmark = pytest.mark.django_db

STALE_WRITE = (
    "bug: src/bizweek/matching/services.py cancel() and decline() check request.state on the "
    "instance they were given and then save(update_fields=['state', ...]) unconditionally (no "
    "select_for_update, no filter(state=PENDING).update()); a cancel/decline that read the "
    "request before a concurrent accept() overwrites 'accepted' with 'cancelled'/'declined' "
    "while the Meeting and both Bookings stay scheduled"
)


@pytest.fixture
def accepted(event, seller, exhibitor, buyer, buyer_company):
    """(request as read while pending, the slot); the seller has accepted it since."""
    date = (timezone.now() + timedelta(days=7)).date()
    MeetingDay.objects.create(event=event, date=date, starts=time(8), ends=time(22))
    slot = services.common_slots(event, seller, buyer_company)[0]
    request = services.create_request(event, seller, by=buyer, slots=[slot])
    read_while_pending = MeetingRequest.objects.get(pk=request.pk)
    services.accept(MeetingRequest.objects.get(pk=request.pk), slot, by=exhibitor)
    return read_while_pending


def assert_still_accepted(request: MeetingRequest) -> None:
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED
    assert Meeting.objects.get().state == MeetingState.SCHEDULED
    assert Booking.objects.count() == 2


def test_accept_then_second_accept_from_stale_read_is_refused(accepted, seller, buyer_company):
    colleague = factories.make_member(seller)
    slot = accepted.slots.get().starts_at
    with pytest.raises(ValidationError):
        services.accept(accepted, slot, by=colleague)
    assert_still_accepted(accepted)


def test_cancel_from_stale_read_after_accept_is_refused(accepted, buyer):
    with pytest.raises(ValidationError):
        services.cancel(accepted, by=buyer)
    assert_still_accepted(accepted)


def test_decline_from_stale_read_after_accept_is_refused(accepted, seller):
    colleague = factories.make_member(seller)
    with pytest.raises(ValidationError):
        services.decline(accepted, by=colleague, reason="too late")
    assert_still_accepted(accepted)
