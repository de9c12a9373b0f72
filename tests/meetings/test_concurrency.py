"""No double booking under real concurrency: many transactions racing for one slot.

Each thread uses its own database connection, so this needs a server database. SQLite's
in-memory shared-cache test database cannot take concurrent writers; `.ci/run` runs the suite
again on PostgreSQL, where these tests run.
"""

import threading
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.matching import services
from bizweek.matching.models import MeetingDay, MeetingRequest, RequestState
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Booking, Meeting, company_key, user_key
from bizweek.notifications.models import Notification
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "needs concurrent writers on separate connections: SQLite's in-memory shared-cache "
            "test database cannot take them (.ci/run runs the suite again on PostgreSQL)"
        ),
    ),
    pytest.mark.django_db(transaction=True),
]

RACERS = 50


def race(work, items) -> tuple[list, list, list]:
    """Run work(item) for every item at once; returns (results, validation errors, others)."""
    barrier = threading.Barrier(len(items), timeout=60)
    results, refused, crashed = [], [], []
    lock = threading.Lock()

    def run(item) -> None:
        try:
            barrier.wait()
            outcome = work(item)
            with lock:
                results.append((item, outcome))
        except ValidationError as error:
            with lock:
                refused.append((item, error))
        except BaseException as error:  # anything else escaping is a failure of the guarantee
            with lock:
                crashed.append((item, error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking thread hung"
    return results, refused, crashed


@pytest.fixture
def meeting_day(event):
    date = (timezone.now() + timedelta(days=7)).date()
    return MeetingDay.objects.create(event=event, date=date, starts=time(8), ends=time(22))


def test_accept_same_slot_by_fifty_buyers_books_the_seller_once(
    event, meeting_day, seller, exhibitor
):
    buyers = [
        factories.make_member(factories.make_company(role="buyer", timezone="Asia/Seoul"))
        for _ in range(RACERS)
    ]
    slot = services.common_slots(event, seller, buyers[0].company)[4]
    for buyer in buyers:
        services.create_request(event, seller, by=buyer, slots=[slot])
    requests = list(MeetingRequest.objects.filter(to_company=seller).order_by("pk"))
    assert len(requests) == RACERS

    results, refused, crashed = race(
        lambda request: services.accept(request, slot, by=exhibitor), requests
    )

    assert crashed == []  # no IntegrityError or anything else escaped
    assert len(results) == 1
    assert len(refused) == RACERS - 1
    for _request, error in refused:
        assert "already has a meeting" in " ".join(error.messages)
    meeting = Meeting.objects.get()
    winner = results[0][0]
    assert meeting.request_id == winner.pk and meeting.starts_at == slot
    assert Booking.objects.count() == 2
    assert Booking.objects.filter(participant=company_key(seller.pk), starts_at=slot).count() == 1
    assert MeetingRequest.objects.get(pk=winner.pk).state == RequestState.ACCEPTED
    assert (
        MeetingRequest.objects.filter(state=RequestState.PENDING).exclude(pk=winner.pk).count()
        == RACERS - 1
    )


def test_assign_one_interpreter_to_fifty_meetings_at_once_succeeds_once(event, meeting_day):
    organizer = factories.make_organizer()
    interpreter = factories.make_user(role=Role.INTERPRETER, languages="ko-en")
    meetings = []
    for _ in range(RACERS):
        seller = factories.make_company()
        buyer = factories.make_company(role="buyer", timezone="Asia/Seoul")
        slot = services.common_slots(event, seller, buyer)[4]
        meetings.append(meeting_services.book(event, seller=seller, buyer=buyer, starts_at=slot))
    assert len({m.starts_at for m in meetings}) == 1

    results, refused, crashed = race(
        lambda meeting: meeting_services.assign_interpreter(meeting, interpreter, by=organizer),
        meetings,
    )

    assert crashed == []
    assert len(results) == 1
    assert len(refused) == RACERS - 1
    winner = results[0][0]
    assert list(Meeting.objects.filter(interpreter=interpreter).values_list("pk", flat=True)) == [
        winner.pk
    ]
    assert Booking.objects.filter(participant=user_key(interpreter.pk)).count() == 1
    assert Booking.objects.count() == 2 * RACERS + 1


def test_accept_same_request_by_many_clicks_books_one_meeting(
    event, meeting_day, seller, exhibitor, buyer, buyer_company
):
    """Several members of the seller (or one double click) accept the same request at once."""
    colleagues = [exhibitor] + [factories.make_member(seller) for _ in range(9)]
    slot = services.common_slots(event, seller, buyer_company)[0]
    request = services.create_request(event, seller, by=buyer, slots=[slot])

    results, refused, crashed = race(
        lambda member: services.accept(MeetingRequest.objects.get(pk=request.pk), slot, by=member),
        colleagues,
    )

    assert crashed == []
    assert len(results) == 1 and len(refused) == len(colleagues) - 1
    assert Meeting.objects.count() == 1 and Booking.objects.count() == 2
    assert MeetingRequest.objects.get(pk=request.pk).state == RequestState.ACCEPTED


def test_send_due_reminders_by_parallel_workers_sends_each_reminder_once(
    event, seller, buyer_company, exhibitor, buyer
):
    starts = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=starts)
    now = starts - timedelta(hours=23)

    results, refused, crashed = race(
        lambda _worker: meeting_services.send_due_reminders(now), list(range(10))
    )

    assert crashed == [] and refused == []
    assert sum(sent for _worker, sent in results) == 1
    assert Notification.objects.filter(kind="reminder_24h").count() == 2  # exhibitor, buyer
