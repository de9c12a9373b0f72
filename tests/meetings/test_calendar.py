"""Calendar files: one meeting's .ics and the private feed, in each reader's own time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from bizweek.meetings import calendar
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import MeetingState
from tests import factories

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def la_company(db):
    return factories.make_company(
        role="buyer", name_en="Pacific Imports", country="US", timezone="America/Los_Angeles"
    )


@pytest.fixture
def la_buyer(la_company):
    return factories.make_member(
        la_company, email="la@example.test", timezone="America/Los_Angeles"
    )


@pytest.fixture
def meeting(event, seller, la_company):
    """10:00 Seoul on 10 March 2027: 17:00 on 9 March in Los Angeles (still PST)."""
    starts = datetime(2027, 3, 10, 10, 0, tzinfo=SEOUL)
    return meeting_services.book(event, seller=seller, buyer=la_company, starts_at=starts)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def vevents(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


def vtimezones(cal: Calendar) -> set[str]:
    return {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}


def uids(cal: Calendar) -> set[str]:
    return {str(event["UID"]) for event in vevents(cal)}


def test_meeting_ics_view_gives_one_event_in_the_viewers_zone(client, exhibitor, meeting):
    client.force_login(exhibitor)
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"meeting-{meeting.pk}.ics" in response["Content-Disposition"]
    cal = parse(response.content)
    (event,) = vevents(cal)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@bizweek"
    start, end = event["DTSTART"], event["DTEND"]
    assert start.dt == meeting.starts_at and end.dt == meeting.ends_at
    assert start.params["TZID"] == "Asia/Seoul" and end.params["TZID"] == "Asia/Seoul"
    assert (start.dt.hour, start.dt.minute) == (10, 0)  # the Seoul wall clock
    assert vtimezones(cal) == {"Asia/Seoul"}
    assert str(event["STATUS"]) == "CONFIRMED"


def test_meeting_ics_for_los_angeles_buyer_is_in_los_angeles_time(la_buyer, meeting):
    cal = parse(calendar.meeting_ics(meeting, la_buyer))
    (event,) = vevents(cal)
    start = event["DTSTART"]
    assert start.params["TZID"] == "America/Los_Angeles"
    assert start.dt == meeting.starts_at
    assert start.dt.replace(tzinfo=None) == datetime(2027, 3, 9, 17, 0)
    assert event["DTEND"].dt == meeting.ends_at
    assert vtimezones(cal) == {"America/Los_Angeles"}
    assert "Changwon Precision" in str(event["DESCRIPTION"])  # the other side


def test_meeting_ics_across_us_dst_change_keeps_the_instant(
    event, seller, la_company, la_buyer, exhibitor
):
    """Same Seoul hour before and after 14 March 2027; Los Angeles clocks move by one hour."""
    before = meeting_services.book(
        event,
        seller=seller,
        buyer=la_company,
        starts_at=datetime(2027, 3, 10, 10, 0, tzinfo=SEOUL),
    )
    after = meeting_services.book(
        event,
        seller=seller,
        buyer=la_company,
        starts_at=datetime(2027, 3, 15, 10, 0, tzinfo=SEOUL),
    )
    la_starts = [
        vevents(parse(calendar.meeting_ics(m, la_buyer)))[0]["DTSTART"].dt for m in (before, after)
    ]
    seoul_starts = [
        vevents(parse(calendar.meeting_ics(m, exhibitor)))[0]["DTSTART"].dt for m in (before, after)
    ]
    assert la_starts == [before.starts_at, after.starts_at]
    assert seoul_starts == [before.starts_at, after.starts_at]
    assert [s.hour for s in seoul_starts] == [10, 10]
    assert [s.hour for s in la_starts] == [17, 18]  # PST, then PDT
    assert [s.utcoffset().total_seconds() / 3600 for s in la_starts] == [-8, -7]
    # The VTIMEZONE carries both rules, so calendar apps can place either meeting.
    cal = parse(calendar.meeting_ics(after, la_buyer))
    (zone,) = cal.walk("VTIMEZONE")
    assert {component.name for component in zone.subcomponents} >= {"STANDARD", "DAYLIGHT"}


def test_meeting_ics_of_someone_elses_meeting_is_403(client, meeting):
    stranger = factories.make_member(factories.make_company(role="buyer"))
    client.force_login(stranger)
    assert client.get(reverse("meetings:ics", args=[meeting.pk])).status_code == 403


def test_meeting_ics_needs_login(client, meeting):
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_feed_works_without_login_and_lists_only_the_users_meetings(
    client, event, seller, exhibitor, la_company, la_buyer, meeting
):
    # The seller also meets another buyer; the Los Angeles buyer must not see that meeting.
    elsewhere = meeting_services.book(
        event,
        seller=seller,
        buyer=factories.make_company(role="buyer"),
        starts_at=datetime(2027, 3, 10, 11, 0, tzinfo=SEOUL),
    )
    token = meeting_services.calendar_token(la_buyer)
    response = client.get(reverse("meetings:feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = parse(response.content)
    assert uids(cal) == {f"meeting-{meeting.pk}@bizweek"}
    assert vevents(cal)[0]["DTSTART"].params["TZID"] == "America/Los_Angeles"
    # The seller's own feed has both.
    seller_feed = client.get(
        reverse("meetings:feed", args=[meeting_services.calendar_token(exhibitor)])
    )
    assert uids(parse(seller_feed.content)) == {
        f"meeting-{meeting.pk}@bizweek",
        f"meeting-{elsewhere.pk}@bizweek",
    }


def test_feed_token_is_stable_until_reset(la_buyer):
    token = meeting_services.calendar_token(la_buyer)
    assert len(token) >= 40
    assert meeting_services.calendar_token(la_buyer) == token
    la_buyer.refresh_from_db()
    assert la_buyer.calendar_token == token


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 20])
def test_feed_with_wrong_token_is_404(client, la_buyer, meeting, token):
    meeting_services.calendar_token(la_buyer)
    assert client.get(reverse("meetings:feed", args=[token])).status_code == 404


def test_feed_after_reset_old_url_is_404_and_new_one_works(client, la_buyer, meeting):
    old = meeting_services.calendar_token(la_buyer)
    new = meeting_services.reset_calendar_token(la_buyer)
    assert new != old
    assert client.get(reverse("meetings:feed", args=[old])).status_code == 404
    assert client.get(reverse("meetings:feed", args=[new])).status_code == 200


def test_feed_reset_view_replaces_the_token(client, la_buyer, meeting):
    old = meeting_services.calendar_token(la_buyer)
    client.force_login(la_buyer)
    response = client.post(reverse("meetings:reset_feed"))
    assert response.status_code == 302
    la_buyer.refresh_from_db()
    assert la_buyer.calendar_token and la_buyer.calendar_token != old
    client.logout()
    assert client.get(reverse("meetings:feed", args=[old])).status_code == 404


def test_feed_of_inactive_user_is_404(client, la_buyer, meeting):
    token = meeting_services.calendar_token(la_buyer)
    la_buyer.is_active = False
    la_buyer.save()
    assert client.get(reverse("meetings:feed", args=[token])).status_code == 404


def test_feed_shows_cancelled_meeting_as_cancelled(client, la_buyer, exhibitor, meeting):
    sequence = meeting.sequence
    meeting_services.cancel(meeting, by=exhibitor)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED
    cal = parse(
        client.get(
            reverse("meetings:feed", args=[meeting_services.calendar_token(la_buyer)])
        ).content
    )
    (event,) = vevents(cal)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@bizweek"
    assert str(event["STATUS"]) == "CANCELLED"
    # A higher SEQUENCE makes calendar apps replace the copy they already have.
    assert int(event["SEQUENCE"]) == meeting.sequence > sequence


def test_meeting_ics_dtstamp_is_utc(exhibitor, meeting):
    (event,) = vevents(parse(calendar.meeting_ics(meeting, exhibitor)))
    stamp = event["DTSTAMP"]
    assert "TZID" not in stamp.params
    assert stamp.dt.utcoffset().total_seconds() == 0
    assert stamp.dt == meeting.updated_at.astimezone(UTC).replace(microsecond=0)
