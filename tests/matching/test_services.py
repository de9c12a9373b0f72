"""The request state machine, availability across time zones, and the event window."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone

from bizweek.matching import services
from bizweek.matching.models import MeetingDay, RequestState
from bizweek.meetings.models import Booking, Meeting
from bizweek.notifications.models import Notification
from bizweek.timezones import dual_label
from tests import factories

pytestmark = pytest.mark.django_db


def next_weekday(days_ahead: int = 3) -> date:
    day = timezone.now().date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def event(db):
    event = factories.make_event()
    for offset in (3, 4):
        MeetingDay.objects.create(
            event=event, date=next_weekday(offset), starts=time(8), ends=time(22)
        )
    return event


@pytest.fixture
def pair(event, exhibitor, buyer):
    return exhibitor, buyer


def free(event, a, b, n=3):
    slots = services.common_slots(event, a, b)
    assert len(slots) >= n
    return slots[:n]


def test_slot_grid_follows_meeting_days_in_event_time_zone(event):
    slots = services.slot_starts(event)
    assert len(slots) == 2 * 28  # 08:00–22:00 Seoul in 30-minute slots, two days
    first = slots[0].astimezone(timezone.get_fixed_timezone(9 * 60))
    assert (first.hour, first.minute) == (8, 0)


def test_default_availability_is_local_working_hours(event, seller, buyer_company):
    # Seoul 09–18 and Bangkok 09–18 (= Seoul 11–20) overlap 11:00–18:00 Seoul time.
    common = services.common_slots(event, seller, buyer_company)
    hours = sorted({s.astimezone(timezone.get_fixed_timezone(540)).hour for s in common})
    assert hours == [11, 12, 13, 14, 15, 16, 17]


def test_request_accept_books_a_meeting_and_notifies_in_each_language(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    request = services.create_request(
        event, exhibitor.company, by=buyer, slots=slots, message="想了解价格"
    )
    assert request.state == RequestState.PENDING and request.awaiting == exhibitor.company
    received = Notification.objects.get(user=exhibitor, kind="request_received")
    assert buyer.company.name in received.title
    meeting = services.accept(request, slots[1], by=exhibitor)
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED
    assert meeting.starts_at == slots[1]
    assert Booking.objects.filter(meeting=meeting).count() == 2
    accepted = [m for m in mail.outbox if m.to == [buyer.email]][-1]
    assert "meeting.ics" in [a[0] for a in accepted.attachments]
    assert accepted.subject != f"Meeting with {exhibitor.company.name} confirmed"  # zh-hans


def test_propose_other_times_passes_the_turn_back(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company, 5)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:2])
    services.propose(request, slots[3:5], by=exhibitor)
    request.refresh_from_db()
    assert request.awaiting == buyer.company
    assert [s.starts_at for s in services.current_slots(request)] == slots[3:5]
    with pytest.raises(ValidationError):
        services.accept(request, slots[0], by=buyer)  # an old proposal is no longer on offer
    with pytest.raises(PermissionDenied):
        services.accept(request, slots[3], by=exhibitor)  # not their turn
    services.accept(request, slots[3], by=buyer)
    assert Meeting.objects.get().starts_at == slots[3]


def test_decline_and_cancel_end_the_request_and_free_the_pair(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    services.decline(request, by=exhibitor, reason="Not our market")
    assert request.state == RequestState.DECLINED
    again = services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    with pytest.raises(PermissionDenied):
        services.cancel(again, by=exhibitor)  # only the sender withdraws
    services.cancel(again, by=buyer)
    assert again.state == RequestState.CANCELLED
    with pytest.raises(ValidationError):
        services.accept(again, slots[0], by=exhibitor)


def test_second_open_request_for_the_same_pair_is_refused(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    with pytest.raises(ValidationError, match="already an open request"):
        services.create_request(event, buyer.company, by=exhibitor, slots=slots)


def test_open_request_cap_per_company(pair, event):
    exhibitor, buyer = pair
    event.max_open_requests = 1
    event.save()
    other = factories.make_company(name_ko="다른기업")
    slots = free(event, exhibitor.company, buyer.company)
    services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    with pytest.raises(ValidationError, match="most this event allows"):
        services.create_request(event, other, by=buyer, slots=slots)


@pytest.mark.parametrize(
    "bad_slot",
    [
        "outside_availability",  # 03:00 Seoul: the Bangkok buyer is asleep
        "off_grid",  # 11:10 is not a slot start
        "past",
    ],
)
def test_bad_slots_are_refused_with_a_message(pair, event, bad_slot):
    exhibitor, buyer = pair
    day = MeetingDay.objects.first().date
    seoul = timezone.get_fixed_timezone(540)
    slot = {
        "outside_availability": datetime.combine(day, time(8), seoul),
        "off_grid": datetime.combine(day, time(11, 10), seoul),
        "past": timezone.now() - timedelta(hours=1),
    }[bad_slot]
    with pytest.raises(ValidationError, match="not free for both companies"):
        services.create_request(event, exhibitor.company, by=buyer, slots=[slot])
    assert not Meeting.objects.exists()


def test_already_booked_slot_cannot_be_proposed_or_accepted(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    first = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    services.accept(first, slots[0], by=exhibitor)
    other_buyer = factories.make_member(
        factories.make_company(role="buyer", country="TH", timezone="Asia/Bangkok")
    )
    with pytest.raises(ValidationError, match="not free"):
        services.create_request(event, exhibitor.company, by=other_buyer, slots=slots[:1])


def test_request_after_matching_ends_is_refused(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    event.matching_ends_at = timezone.now() - timedelta(minutes=1)
    event.save()
    with pytest.raises(ValidationError, match="ended"):
        services.create_request(event, exhibitor.company, by=buyer, slots=slots)


def test_requests_expire_when_all_times_have_passed(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    request.slots.update(starts_at=F("starts_at") - timedelta(days=10))
    assert services.expire_stale() == 1
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED


def test_someone_elses_request_cannot_be_answered(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots)
    stranger = factories.make_member(factories.make_company(name_ko="제3기업"))
    with pytest.raises(PermissionDenied):
        services.accept(request, slots[0], by=stranger)
    with pytest.raises(PermissionDenied):
        services.visible_request(stranger, request.pk)


def test_availability_saved_in_own_zone_limits_requests(pair, event):
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company, 4)
    services.set_availability(event, slots[2:4], company=exhibitor.company, by=exhibitor)
    assert services.common_slots(event, exhibitor.company, buyer.company) == slots[2:4]
    with pytest.raises(ValidationError):
        services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    with pytest.raises(PermissionDenied):
        services.set_availability(event, slots, company=exhibitor.company, by=buyer)


def test_seoul_seller_and_los_angeles_buyer_across_the_us_dst_change():
    # US DST starts 2027-03-14. Seoul has no DST, so 09:00 Seoul is 16:00 the day before in
    # Los Angeles before the change and 17:00 after it.
    before = datetime(2027, 3, 11, 0, 0, tzinfo=UTC)  # 09:00 Seoul on 03-11
    after = datetime(2027, 3, 18, 0, 0, tzinfo=UTC)  # 09:00 Seoul on 03-18
    assert dual_label(before, "Asia/Seoul", "America/Los_Angeles") == (
        "2027-03-11 09:00 Seoul · 2027-03-10 16:00 Los Angeles"
    )
    assert dual_label(after, "Asia/Seoul", "America/Los_Angeles") == (
        "2027-03-18 09:00 Seoul · 2027-03-17 17:00 Los Angeles"
    )
    assert dual_label(after, "America/Los_Angeles", "Asia/Seoul") == (
        "2027-03-17 17:00 Los Angeles · 2027-03-18 09:00 Seoul"
    )


def test_slot_grid_stays_on_the_hour_across_a_dst_change_in_the_event_zone():
    event = factories.make_event(timezone="America/Los_Angeles")
    MeetingDay.objects.create(event=event, date=date(2027, 3, 14), starts=time(0), ends=time(4))
    slots = services.slot_starts(event)
    local = [s.astimezone(timezone.get_default_timezone()) for s in slots]
    assert len(slots) == 6  # 00:00–04:00 local is 3 real hours that day (02:00 is skipped)
    assert slots[0] == datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(slots))
    assert local


def test_marks_are_set_changed_cleared_and_only_across_the_fair(client, exhibitor, buyer, seller):
    from bizweek.matching.models import Mark

    client.force_login(buyer)
    url = f"/matching/marks/{seller.pk}/"
    client.post(url, {"value": "must", "next": f"/booths/{seller.pk}/"})
    assert Mark.objects.get(company=buyer.company, target=seller).value == "must"
    assert 'class="mark-button on"' in client.get(f"/booths/{seller.pk}/").content.decode()
    client.post(url, {"value": "no"})
    assert Mark.objects.get(company=buyer.company, target=seller).value == "no"
    client.post(url, {"value": ""})
    assert not Mark.objects.exists()
    other_seller = factories.make_company(name_ko="같은편")
    with pytest.raises(ValidationError):
        services.set_mark(other_seller, "must", by=exhibitor)  # seller marking a seller


def test_slots_sooner_than_the_minimum_notice_are_not_offered_or_accepted(pair, event):
    """Default notice is 2 hours; a larger one set by the organizer hides and refuses more."""
    exhibitor, buyer = pair
    slots = free(event, exhibitor.company, buyer.company)
    now = timezone.now()
    assert event.min_notice_minutes == 120
    assert all(s >= now + timedelta(hours=2) for s in slots)
    request = services.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    # The organizer now asks for more notice than the proposed time leaves.
    event.min_notice_minutes = int((slots[0] - now).total_seconds() // 60) + 60
    event.save()
    assert slots[0] not in services.common_slots(event, exhibitor.company, buyer.company)
    with pytest.raises(ValidationError, match="less than"):
        services.accept(request, slots[0], by=exhibitor)
    assert not Meeting.objects.exists()
    with pytest.raises(ValidationError, match="not free for both companies"):
        services.create_request(event, exhibitor.company, by=buyer, slots=slots[1:2])


def test_request_mail_links_to_the_address_the_sender_used(client, pair, event, settings):
    """Sent from a page served at localhost:8642, the link in the mail points there, not to
    the settings' default; outside a request (reminders) the setting is used."""
    exhibitor, buyer = pair
    settings.SITE_URL = "http://127.0.0.1:8000"
    slots = free(event, exhibitor.company, buyer.company, 1)
    client.force_login(buyer)
    mail.outbox.clear()
    response = client.post(
        f"/matching/requests/new/{exhibitor.company.pk}/",
        {"slots": [slots[0].isoformat()], "message": "", "languages": ""},
        headers={"host": "localhost:8642"},
    )
    assert response.status_code == 302
    request = services.requests_for(exhibitor.company, "inbox").get()
    (received,) = [m for m in mail.outbox if m.to == [exhibitor.email]]
    assert f"http://localhost:8642/matching/requests/{request.pk}/" in received.body
    assert "127.0.0.1:8000" not in received.body
    from bizweek.core.siteurl import site_url

    assert site_url() == "http://127.0.0.1:8000"
