"""/api/v1/meeting-requests and /api/v1/meetings: the matching flow as a script or app sees it."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.db.models import F
from django.utils import timezone, translation

from bizweek.accounts.models import ApiToken
from bizweek.companies.models import CompanyStatus
from bizweek.matching import services
from bizweek.matching.models import MeetingDay, MeetingRequest, ProposedSlot
from bizweek.meetings.models import Booking, Meeting
from bizweek.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/meeting-requests"
MEETINGS = "/api/v1/meetings"
# The service's messages, as msgids: callers get them in their own language.
NOT_FREE = (
    "%(time)s is not free for both companies (outside availability, already booked, "
    "in the past or outside the event)."
)
TOO_MANY_OPEN = (
    "You already have %(count)d requests waiting for an answer, the most this event "
    "allows. Wait for answers or cancel one."
)
MATCHING_ENDED = (
    "Business matching for this event ended on %(date)s; no more meetings can be booked."
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def day(event):
    """A meeting day a week ahead, 08:00–22:00 Seoul time."""
    date = (timezone.now() + timedelta(days=7)).date()
    return MeetingDay.objects.create(event=event, date=date, starts=time(8), ends=time(22))


@pytest.fixture
def slots(day, event, seller, buyer_company):
    """Slots free for both the Seoul seller and the Bangkok buyer (11:00–18:00 Seoul)."""
    free = services.common_slots(event, seller, buyer_company)
    assert len(free) == 14
    return free


@pytest.fixture
def third(db):
    """An approved buyer company that has nothing to do with the request under test."""
    company = factories.make_company(role="buyer", country="VN", timezone="Asia/Ho_Chi_Minh")
    return factories.make_member(company)


@pytest.fixture
def pending_request(event, buyer, seller, slots):
    """The Bangkok buyer asked the Seoul seller for a meeting at two times."""
    return services.create_request(event, seller, by=buyer, slots=slots[:2], message="Hello")


def post(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", headers=headers)


def bearer(user) -> dict:
    _token, raw = ApiToken.issue(user, "x")
    return {"Authorization": f"Bearer {raw}"}


def snapshot() -> tuple:
    """Everything a refused call must leave untouched."""
    return (
        list(MeetingRequest.objects.order_by("pk").values_list("pk", "state", "awaiting_id")),
        list(ProposedSlot.objects.order_by("pk").values_list("pk", "starts_at", "is_current")),
        Meeting.objects.count(),
        Booking.objects.count(),
        Notification.objects.count(),
    )


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert body["detail"]
    return body


def detail_text(body: dict) -> str:
    detail = body["detail"]
    return " ".join(detail) if isinstance(detail, list) else str(detail)


def assert_says(body: dict, user, msgid: str) -> None:
    """The refusal gives this message, in the caller's own language (placeholders aside)."""
    with translation.override(user.language):
        text = translation.gettext(msgid)
    pieces = [p.strip() for p in re.split(r"%\(\w+\)[sd]", text) if p.strip()]
    assert pieces
    for piece in pieces:
        assert piece in detail_text(body)


def instants(items) -> set[datetime]:
    return {datetime.fromisoformat(item["starts_at"]) for item in items}


# --- the flow that works ---------------------------------------------------------------------


def test_create_request_with_session_returns_201_and_the_request(
    client, buyer, buyer_company, seller, exhibitor, slots
):
    client.force_login(buyer)
    response = post(
        client,
        REQUESTS,
        {
            "to_company": seller.pk,
            "slots": [s.isoformat() for s in slots[:3]],
            "message": "Interested in your excavators",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "pending"
    assert data["from_company"] == buyer_company.pk
    assert data["to_company"] == seller.pk
    assert data["awaiting"] == seller.pk
    assert data["message"] == "Interested in your excavators"
    assert data["meeting"] is None
    assert instants(data["slots"]) == set(slots[:3])
    assert {slot["proposed_by"] for slot in data["slots"]} == {buyer_company.pk}
    stored = MeetingRequest.objects.get(pk=data["id"])
    assert stored.created_by == buyer
    assert Notification.objects.filter(user=exhibitor, kind="request_received").count() == 1


def test_create_request_with_token_returns_201(client, exhibitor, seller, buyer_company, slots):
    response = post(
        client,
        REQUESTS,
        {"to_company": buyer_company.pk, "slots": [slots[0].isoformat()], "message": "Hi"},
        **bearer(exhibitor),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["from_company"] == seller.pk and data["awaiting"] == buyer_company.pk
    assert instants(data["slots"]) == {slots[0]}


def test_list_requests_shows_both_sides_and_filters_by_box_and_state(
    client, event, buyer, exhibitor, seller, pending_request, third
):
    # The seller also asked another buyer, who declined.
    other_slot = services.common_slots(event, seller, third.company)[0]
    sent = services.create_request(event, third.company, by=exhibitor, slots=[other_slot])
    services.decline(sent, by=third, reason="No budget")

    client.force_login(exhibitor)
    everything = client.get(REQUESTS).json()
    assert set(everything) == {"items", "count"}
    assert everything["count"] == 2
    assert {item["id"] for item in everything["items"]} == {pending_request.pk, sent.pk}
    inbox = client.get(REQUESTS, {"box": "inbox"}).json()
    assert [item["id"] for item in inbox["items"]] == [pending_request.pk] and inbox["count"] == 1
    outbox = client.get(REQUESTS, {"box": "outbox"}).json()
    assert [item["id"] for item in outbox["items"]] == [sent.pk]
    assert outbox["items"][0]["decline_reason"] == "No budget"
    pending = client.get(REQUESTS, {"state": "pending"}).json()
    assert [item["id"] for item in pending["items"]] == [pending_request.pk]
    declined = client.get(REQUESTS, {"state": "declined", "box": "outbox"}).json()
    assert [item["id"] for item in declined["items"]] == [sent.pk]

    # The buyer sees the same request from its side, through a token this time.
    client.logout()
    mine = client.get(REQUESTS, headers=bearer(buyer)).json()
    assert [item["id"] for item in mine["items"]] == [pending_request.pk]
    assert client.get(REQUESTS, {"box": "inbox"}, headers=bearer(buyer)).json()["count"] == 0

    # A company that is not a party sees none of it except its own declined request.
    client.force_login(third)
    theirs = client.get(REQUESTS).json()
    assert [item["id"] for item in theirs["items"]] == [sent.pk]


def test_accept_by_receiver_books_a_meeting_visible_to_both_companies_only(
    client, buyer, buyer_company, exhibitor, seller, pending_request, slots, third
):
    client.force_login(exhibitor)
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[1].isoformat()}
    )
    assert response.status_code == 200, response.content
    meeting = response.json()
    assert meeting["state"] == "scheduled"
    assert meeting["seller"] == seller.pk and meeting["buyer"] == buyer_company.pk
    assert meeting["request"] == pending_request.pk
    assert datetime.fromisoformat(meeting["starts_at"]) == slots[1]
    assert datetime.fromisoformat(meeting["ends_at"]) == slots[1] + timedelta(minutes=30)
    pending_request.refresh_from_db()
    assert pending_request.state == "accepted" and pending_request.awaiting is None
    assert set(Booking.objects.values_list("participant", flat=True)) == {
        f"company:{seller.pk}",
        f"company:{buyer_company.pk}",
    }

    seller_view = client.get(MEETINGS).json()
    assert seller_view["count"] == 1 and seller_view["items"][0]["id"] == meeting["id"]
    buyer_view = client.get(MEETINGS, headers=bearer(buyer)).json()
    assert [item["id"] for item in buyer_view["items"]] == [meeting["id"]]
    client.force_login(third)
    assert client.get(MEETINGS).json() == {"items": [], "count": 0}
    # The request now points at its meeting.
    client.force_login(buyer)
    listed = client.get(REQUESTS).json()["items"][0]
    assert listed["state"] == "accepted" and listed["meeting"] == meeting["id"]


def test_accept_with_token_books_the_meeting(client, exhibitor, pending_request, slots):
    response = post(
        client,
        f"{REQUESTS}/{pending_request.pk}/accept",
        {"starts_at": slots[0].isoformat()},
        **bearer(exhibitor),
    )
    assert response.status_code == 200, response.content
    assert Meeting.objects.get().pk == response.json()["id"]


def test_accept_in_another_zone_offset_means_the_same_instant(
    client, exhibitor, pending_request, slots
):
    """A client may send the time in its own offset; the instant is what counts."""
    seoul_time = slots[0].astimezone(timezone.get_fixed_timezone(9 * 60)).isoformat()
    client.force_login(exhibitor)
    response = post(client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": seoul_time})
    assert response.status_code == 200, response.content
    assert Meeting.objects.get().starts_at == slots[0]


def test_decline_by_receiver_closes_the_request(client, buyer, exhibitor, pending_request, slots):
    client.force_login(exhibitor)
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/decline", {"reason": "Not our market"}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "declined" and data["decline_reason"] == "Not our market"
    assert data["awaiting"] is None
    assert Notification.objects.filter(user=buyer, kind="request_declined").count() == 1
    # A declined request can no longer be accepted.
    before = snapshot()
    late = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[0].isoformat()}
    )
    assert_refused(late, 422, "invalid")
    assert snapshot() == before


# --- refusals: right status, {"detail", "code"}, nothing changed -----------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", REQUESTS, None),
        ("post", REQUESTS, {"to_company": 1, "slots": ["2030-01-01T02:00:00Z"]}),
        ("post", f"{REQUESTS}/1/accept", {"starts_at": "2030-01-01T02:00:00Z"}),
        ("post", f"{REQUESTS}/1/decline", {}),
        ("get", MEETINGS, None),
    ],
)
def test_matching_api_refuses_anonymous_callers_with_401(
    client, pending_request, method, path, body
):
    before = snapshot()
    path = path.replace("/1/", f"/{pending_request.pk}/")
    response = client.get(path) if method == "get" else post(client, path, body)
    assert_refused(response, 401, "not_authenticated")
    assert snapshot() == before


def test_matching_api_refuses_an_unknown_token_with_401(client, pending_request):
    before = snapshot()
    response = post(
        client,
        f"{REQUESTS}/{pending_request.pk}/decline",
        {},
        Authorization="Bearer bzw_not-a-real-token",
    )
    assert_refused(response, 401, "not_authenticated")
    assert snapshot() == before


def test_create_request_to_unknown_company_is_404(client, buyer, slots):
    client.force_login(buyer)
    before = snapshot()
    response = post(client, REQUESTS, {"to_company": 987654, "slots": [slots[0].isoformat()]})
    assert_refused(response, 404, "not_found")
    assert snapshot() == before


def test_create_request_to_pending_company_is_404(client, buyer, slots):
    unapproved = factories.make_company(status=CompanyStatus.PENDING)
    factories.make_member(unapproved)
    client.force_login(buyer)
    before = snapshot()
    response = post(
        client, REQUESTS, {"to_company": unapproved.pk, "slots": [slots[0].isoformat()]}
    )
    body = assert_refused(response, 404, "not_found")
    assert snapshot() == before
    # Exactly what a company that does not exist gives: its existence is not revealed.
    unknown = post(client, REQUESTS, {"to_company": 987654, "slots": [slots[0].isoformat()]})
    assert unknown.json() == body


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda day, free: free[0] + timedelta(minutes=10), id="off-the-grid"),
        pytest.param(lambda day, free: free[0] - timedelta(hours=2), id="before-bangkok-opens"),
        pytest.param(lambda day, free: free[-1] + timedelta(hours=1), id="after-seoul-closes"),
        pytest.param(lambda day, free: free[0] + timedelta(days=1), id="not-a-meeting-day"),
        pytest.param(lambda day, free: free[0] - timedelta(days=30), id="in-the-past"),
    ],
)
def test_create_request_with_unavailable_slot_is_422(client, buyer, seller, day, slots, pick):
    client.force_login(buyer)
    before = snapshot()
    bad = pick(day, slots)
    response = post(
        client,
        REQUESTS,
        {"to_company": seller.pk, "slots": [slots[0].isoformat(), bad.isoformat()]},
    )
    body = assert_refused(response, 422, "invalid")
    assert_says(body, buyer, NOT_FREE)
    assert snapshot() == before


def test_accept_own_request_is_403(client, buyer, pending_request, slots):
    client.force_login(buyer)
    before = snapshot()
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[0].isoformat()}
    )
    assert_refused(response, 403, "permission_denied")
    # Nor may it decline on the receiver's behalf.
    declined = post(client, f"{REQUESTS}/{pending_request.pk}/decline", {"reason": "x"})
    assert_refused(declined, 403, "permission_denied")
    assert snapshot() == before


def test_accept_someone_elses_request_is_404(client, third, pending_request, slots):
    client.force_login(third)
    before = snapshot()
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[0].isoformat()}
    )
    assert_refused(response, 404, "not_found")
    declined = post(client, f"{REQUESTS}/{pending_request.pk}/decline", {})
    assert_refused(declined, 404, "not_found")
    assert snapshot() == before


def test_accept_a_time_that_was_not_proposed_is_422(client, exhibitor, pending_request, slots):
    client.force_login(exhibitor)
    before = snapshot()
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[5].isoformat()}
    )
    body = assert_refused(response, 422, "invalid")
    assert_says(body, exhibitor, "Choose one of the proposed times.")
    assert snapshot() == before


def test_accept_expired_request_is_422_and_marks_it_expired(client, exhibitor, pending_request):
    ProposedSlot.objects.filter(request=pending_request).update(
        starts_at=F("starts_at") - timedelta(days=30)
    )
    past = ProposedSlot.objects.filter(request=pending_request).first().starts_at
    client.force_login(exhibitor)
    before_meetings = (Meeting.objects.count(), Booking.objects.count())
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": past.isoformat()}
    )
    assert_refused(response, 422, "invalid")
    pending_request.refresh_from_db()
    assert pending_request.state == "expired" and pending_request.awaiting is None
    assert (Meeting.objects.count(), Booking.objects.count()) == before_meetings


def test_accept_a_proposed_time_that_has_passed_is_422_and_leaves_it_open(
    client, exhibitor, pending_request
):
    first = ProposedSlot.objects.filter(request=pending_request).order_by("starts_at").first()
    ProposedSlot.objects.filter(pk=first.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    first.refresh_from_db()
    client.force_login(exhibitor)
    before = snapshot()
    response = post(
        client,
        f"{REQUESTS}/{pending_request.pk}/accept",
        {"starts_at": first.starts_at.isoformat()},
    )
    body = assert_refused(response, 422, "invalid")
    assert_says(body, exhibitor, "That time has already passed; propose another one.")
    assert snapshot() == before  # still pending: the other proposed time can be accepted


def test_second_open_request_for_the_same_pair_is_422(
    client, buyer, exhibitor, seller, buyer_company, pending_request, slots
):
    before = snapshot()
    client.force_login(buyer)
    again = post(client, REQUESTS, {"to_company": seller.pk, "slots": [slots[4].isoformat()]})
    assert_refused(again, 422, "invalid")
    # Nor may the other side open a second one in the opposite direction.
    client.force_login(exhibitor)
    reverse = post(
        client, REQUESTS, {"to_company": buyer_company.pk, "slots": [slots[4].isoformat()]}
    )
    assert_refused(reverse, 422, "invalid")
    assert snapshot() == before


def test_more_open_requests_than_the_event_allows_is_422(client, event, buyer, day):
    event.max_open_requests = 2
    event.save()
    sellers = [factories.make_company() for _ in range(3)]
    client.force_login(buyer)
    for target in sellers[:2]:
        slot = services.common_slots(event, target, buyer.company)[0]
        ok = post(client, REQUESTS, {"to_company": target.pk, "slots": [slot.isoformat()]})
        assert ok.status_code == 201, ok.content
    before = snapshot()
    slot = services.common_slots(event, sellers[2], buyer.company)[0]
    response = post(client, REQUESTS, {"to_company": sellers[2].pk, "slots": [slot.isoformat()]})
    body = assert_refused(response, 422, "invalid")
    assert_says(body, buyer, TOO_MANY_OPEN)
    assert "2" in detail_text(body)
    assert snapshot() == before


def test_request_after_matching_ended_is_422_saying_so(client, event, buyer, seller, slots):
    event.matching_ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    client.force_login(buyer)
    before = snapshot()
    response = post(client, REQUESTS, {"to_company": seller.pk, "slots": [slots[0].isoformat()]})
    body = assert_refused(response, 422, "invalid")
    assert_says(body, buyer, MATCHING_ENDED)
    assert snapshot() == before


def test_accept_after_matching_ended_is_422(client, event, exhibitor, pending_request, slots):
    event.matching_ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    client.force_login(exhibitor)
    response = post(
        client, f"{REQUESTS}/{pending_request.pk}/accept", {"starts_at": slots[0].isoformat()}
    )
    assert_refused(response, 422, "invalid")
    assert not Meeting.objects.exists() and not Booking.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"to_company": 1, "slots": [', id="malformed-json"),
        pytest.param(b"[1, 2]", id="array-not-object"),
        pytest.param({"to_company": "abc", "slots": ["2030-01-01T02:00:00Z"]}, id="id-not-int"),
        pytest.param({"to_company": 1, "slots": "tomorrow"}, id="slots-not-a-list"),
        pytest.param({"to_company": 1, "slots": ["next tuesday"]}, id="slot-not-a-time"),
        pytest.param({"to_company": 1, "slots": []}, id="no-slots"),
        pytest.param({"slots": ["2030-01-01T02:00:00Z"]}, id="missing-company"),
        pytest.param({"to_company": 1, "slots": ["2030-01-01T02:00:00Z"] * 6}, id="too-many"),
        pytest.param({"to_company": 1, "slots": ["2030-01-01T02:00:00"]}, id="no-utc-offset"),
    ],
)
def test_create_request_with_bad_body_is_422_invalid(client, buyer, seller, slots, body):
    if isinstance(body, dict) and body.get("to_company") == 1:
        body = {**body, "to_company": seller.pk}
    client.force_login(buyer)
    before = snapshot()
    response = post(client, REQUESTS, body)
    assert_refused(response, 422, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{starts_at:", id="malformed-json"),
        pytest.param({"starts_at": "half past two"}, id="not-a-time"),
        pytest.param({}, id="missing-time"),
    ],
)
def test_accept_with_bad_body_is_422_invalid(client, exhibitor, pending_request, body):
    client.force_login(exhibitor)
    before = snapshot()
    response = post(client, f"{REQUESTS}/{pending_request.pk}/accept", body)
    assert_refused(response, 422, "invalid")
    assert snapshot() == before
