"""Moving an accepted meeting, one meeting per pair and day, and the message thread."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bizweek.matching import services
from bizweek.matching.models import MeetingDay, MoveState
from bizweek.meetings.models import Booking, Meeting
from bizweek.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    event = factories.make_event()
    for offset in (3, 4):
        MeetingDay.objects.create(
            event=event,
            date=(timezone.now() + timedelta(days=offset)).date(),
            starts=time(8),
            ends=time(22),
        )
    return event


@pytest.fixture
def meeting(event, exhibitor, buyer):
    slots = services.common_slots(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    return services.accept(request, slots[0], by=exhibitor)


def other_day_slots(event, meeting):
    day = services.event_day(event, meeting.starts_at)
    return [s for s in services.move_candidates(meeting) if services.event_day(event, s) != day]


def test_second_meeting_same_pair_same_day_is_refused_unless_the_organizer_allows_it(
    event, meeting, exhibitor, buyer
):
    same_day = [
        s
        for s in services.slot_starts(event)
        if services.event_day(event, s) == services.event_day(event, meeting.starts_at)
    ]
    assert not set(same_day) & set(services.common_slots(event, exhibitor.company, buyer.company))
    later = meeting.starts_at + timedelta(hours=1)
    with pytest.raises(ValidationError, match="already meet on"):
        services.create_request(event, exhibitor.company, by=buyer, slots=[later])
    event.allow_repeat_meetings = True
    event.save()
    assert services.create_request(event, exhibitor.company, by=buyer, slots=[later])


def test_move_is_proposed_by_one_side_and_accepted_by_the_other(event, meeting, exhibitor, buyer):
    target = other_day_slots(event, meeting)[3]
    old = meeting.starts_at
    proposal = services.propose_move(meeting, [target], by=buyer)
    assert Notification.objects.filter(user=exhibitor, kind="move_proposed").exists()
    with pytest.raises(PermissionDenied):
        services.accept_move(proposal, target, by=buyer)  # not their own proposal
    moved = services.accept_move(proposal, target, by=exhibitor)
    assert moved.starts_at == target and moved.sequence == meeting.sequence + 1
    assert set(Booking.objects.filter(meeting=moved).values_list("starts_at", flat=True)) == {
        target
    }
    assert not Booking.objects.filter(starts_at=old).exists()
    proposal.refresh_from_db()
    assert proposal.state == MoveState.ACCEPTED
    assert Notification.objects.filter(user=buyer, kind="move_accepted").exists()


def test_move_to_a_slot_taken_meanwhile_changes_nothing(event, meeting, exhibitor, buyer):
    target = other_day_slots(event, meeting)[0]
    proposal = services.propose_move(meeting, [target], by=exhibitor)
    rival = factories.make_company(role="buyer", name_en="Rival", timezone="Asia/Seoul")
    from bizweek.meetings import services as meeting_services

    meeting_services.book(event, seller=exhibitor.company, buyer=rival, starts_at=target)
    with pytest.raises(ValidationError):
        services.accept_move(proposal, target, by=buyer)
    meeting.refresh_from_db()
    assert meeting.starts_at != target
    assert Booking.objects.filter(meeting=meeting).count() == 2
    proposal.refresh_from_db()
    assert proposal.state == MoveState.PENDING


def test_move_declined_keeps_the_time_and_strangers_cannot_move(event, meeting, exhibitor, buyer):
    target = other_day_slots(event, meeting)[0]
    stranger = factories.make_member(factories.make_company(name_ko="제3기업"))
    with pytest.raises(PermissionDenied):
        services.propose_move(meeting, [target], by=stranger)
    proposal = services.propose_move(meeting, [target], by=exhibitor)
    services.decline_move(proposal, by=buyer)
    proposal.refresh_from_db()
    assert proposal.state == MoveState.DECLINED
    assert Meeting.objects.get(pk=meeting.pk).starts_at == meeting.starts_at
    assert Notification.objects.filter(user=exhibitor, kind="move_declined").exists()


def test_message_thread_on_a_request_carries_on_to_its_meeting(event, exhibitor, buyer):
    slots = services.common_slots(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    services.post_message("<b>Price?</b>", by=buyer, request=request)
    note = Notification.objects.get(user=exhibitor, kind="message_received")
    assert "<b>Price?</b>" in note.body  # stored as text; templates escape it when shown
    with pytest.raises(ValidationError):
        services.post_message("   ", by=exhibitor, request=request)
    with pytest.raises(ValidationError):
        services.post_message("x" * 1001, by=exhibitor, request=request)
    stranger = factories.make_member(factories.make_company(name_ko="제3기업"))
    with pytest.raises(PermissionDenied):
        services.post_message("hello", by=stranger, request=request)
    meeting = services.accept(request, slots[0], by=exhibitor)
    services.post_message("See you then", by=exhibitor, meeting=meeting)
    assert [m.body for m in services.thread(meeting=meeting)] == ["<b>Price?</b>", "See you then"]


def test_message_flood_is_refused_and_nothing_is_stored(event, exhibitor, buyer):
    slots = services.common_slots(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    for number in range(services.MESSAGES_PER_WINDOW):
        services.post_message(f"question {number}", by=buyer, request=request)
    with pytest.raises(ValidationError):
        services.post_message("one too many", by=buyer, request=request)
    assert len(services.thread(request=request)) == services.MESSAGES_PER_WINDOW
    services.post_message("the other side may still answer", by=exhibitor, request=request)


def test_message_is_escaped_on_the_request_page(client, event, exhibitor, buyer):
    slots = services.common_slots(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    client.force_login(buyer)
    response = client.post(
        f"/matching/requests/{request.pk}/messages/", {"body": "<script>x()</script>"}
    )
    assert response.status_code == 302
    client.force_login(exhibitor)
    page = client.get(f"/matching/requests/{request.pk}/").content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
