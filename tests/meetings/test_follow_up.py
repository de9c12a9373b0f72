"""After a meeting: a no-show offers the side that came another time with the absent company,
and the meeting page tells each side whose consultation log is still missing."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bizweek.matching import services as matching
from bizweek.matching.models import MeetingDay
from bizweek.meetings import services
from bizweek.meetings.models import MeetingOutcome, Outcome
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


def past_meeting(event, seller, buyer_company):
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return factories.make_meeting(event, seller, buyer_company, starts_at=start)


def test_no_show_notification_opens_a_request_to_the_absent_company(
    client, event, seller, buyer_company, exhibitor, buyer
):
    exhibitor.language = "ko"
    exhibitor.save()
    meeting = past_meeting(event, seller, buyer_company)
    came = services.record_join(meeting, exhibitor, now=meeting.starts_at)
    services.record_leave(came.pk, now=meeting.starts_at + timedelta(minutes=20))
    assert services.decide_outcome(meeting).outcome == Outcome.NO_SHOW_BUYER

    note = Notification.objects.get(user=exhibitor, kind="meeting_no_show")
    retry = reverse("matching:new_request", args=[buyer_company.pk])
    assert note.url == retry
    assert retry in mail.outbox[-1].body and "다른 시간" in mail.outbox[-1].body
    client.force_login(exhibitor)
    listing = client.get(reverse("notifications:list"), HTTP_ACCEPT_LANGUAGE="ko")
    assert "다른 시간 요청" in listing.content.decode()  # the button's label
    page = client.get(reverse("notifications:open", args=[note.pk]), follow=True)
    assert page.redirect_chain[-1][0] == retry
    assert 'name="slots"' in page.content.decode()  # the slot picker, ready to send


def test_after_a_no_show_the_pair_may_meet_again_the_same_day(event, exhibitor, buyer):
    slots = matching.common_slots(event, exhibitor.company, buyer.company)
    request = matching.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    meeting = matching.accept(request, slots[0], by=exhibitor)
    later = meeting.starts_at + timedelta(hours=1)
    with pytest.raises(ValidationError, match="already meet on"):
        matching.create_request(event, buyer.company, by=exhibitor, slots=[later])

    MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.NO_SHOW_BUYER)
    assert later in matching.common_slots(event, exhibitor.company, buyer.company)
    again = matching.create_request(event, buyer.company, by=exhibitor, slots=[later])
    assert matching.accept(again, later, by=buyer).starts_at == later


def test_a_partly_held_meeting_still_counts_for_the_day(event, exhibitor, buyer):
    slots = matching.common_slots(event, exhibitor.company, buyer.company)
    request = matching.create_request(event, exhibitor.company, by=buyer, slots=slots[:1])
    meeting = matching.accept(request, slots[0], by=exhibitor)
    MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.PARTIAL)
    with pytest.raises(ValidationError, match="already meet on"):
        matching.create_request(
            event, buyer.company, by=exhibitor, slots=[meeting.starts_at + timedelta(hours=1)]
        )


def test_meeting_page_offers_another_time_only_when_it_did_not_happen(
    client, event, seller, buyer_company, exhibitor
):
    meeting = past_meeting(event, seller, buyer_company)
    outcome = MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.HELD)
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'id="retry-link"' not in page
    outcome.outcome = Outcome.DID_NOT_HAPPEN
    outcome.save()
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert reverse("matching:new_request", args=[buyer_company.pk]) in page


def test_meeting_page_says_whose_log_is_missing(
    client, event, seller, buyer_company, exhibitor, buyer
):
    meeting = past_meeting(event, seller, buyer_company)
    MeetingOutcome.objects.create(meeting=meeting, outcome=Outcome.HELD)
    services.file_log(meeting, company=buyer_company, by=buyer, consultation_amount=1)
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'id="log-reminder"' in page and "Changwon Precision" in page.split("log-reminder")[1]
    client.force_login(buyer)  # filed already: no reminder
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'id="log-reminder"' not in page
    services.file_log(meeting, company=seller, by=exhibitor, consultation_amount=1)
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'id="log-reminder"' not in page
