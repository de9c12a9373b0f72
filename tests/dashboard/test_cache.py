"""Cached figures: served again only while the data under them is unchanged."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from bizweek.dashboard import services
from bizweek.dashboard.figures import Period
from bizweek.events.services import CURRENT_EVENT_KEY
from bizweek.expo.models import BoothVisit
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import MeetingOutcome, Outcome
from tests import factories

from .conftest import at

PERIOD = Period(tz="Asia/Seoul")


def headline_shown(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}"><dt>[^<]+</dt><dd[^>]*>([^<]+)</dd>', html)
    assert match, key
    return match.group(1)


@pytest.fixture
def signed_in(client, organizer, week):
    from django.core.cache import cache

    cache.delete(CURRENT_EVENT_KEY)
    client.force_login(organizer)
    return client


def test_unchanged_data_is_served_from_the_cache(week, organizer):
    with CaptureQueriesContext(connection) as first:
        computed = services.event_figures(week.event, PERIOD, by=organizer)
    with CaptureQueriesContext(connection) as second:
        cached = services.event_figures(week.event, PERIOD, by=organizer)
    assert len(first.captured_queries) > 5
    assert len(second.captured_queries) == 1  # the data version
    assert cached.as_dict() == computed.as_dict()
    # Amounts come back as the same Decimals (stored as text), not as strings or floats.
    for fresh, kept in zip(computed.tables, cached.tables, strict=True):
        assert [[(type(v), v) for v in row] for row in kept.rows] == [
            [(type(v), v) for v in row] for row in fresh.rows
        ]
    assert isinstance(cached.table("funnel").rows[0][2], Decimal)


def test_log_filed_after_the_page_was_cached_shows_at_once(signed_in, week):
    """The seller of m2 files the log only the buyer had filed (9,800 USD): the amount moves
    from one side to confirmed, in the page and the API, on the very next view."""
    before = signed_in.get("/organizer/figures/").content.decode()
    assert headline_shown(before, "consultation_confirmed") == "100,000.00"
    assert headline_shown(before, "logs_filed") == "2"
    m2 = week.meetings[1]
    meeting_services.file_log(
        m2,
        company=week.s1,
        by=factories.make_member(week.s1, email="late-filer@example.test"),
        now=at(6, 13),
        consultation_amount=Decimal("9800"),
        mou_signed=True,
    )
    after = signed_in.get("/organizer/figures/").content.decode()
    assert headline_shown(after, "consultation_confirmed") == "109,800.00"
    assert headline_shown(after, "consultation_one_sided") == "0.00"
    assert headline_shown(after, "mou_confirmed") == "2"
    data = signed_in.get("/api/v1/stats").json()
    assert data["headline"]["consultation_confirmed"] == "109800.00"


def test_writes_that_bypass_model_signals_show_at_once(week, organizer):
    """`update()` and `bulk_create` send no signals; the database's triggers still count
    them."""
    services.event_figures(week.event, PERIOD, by=organizer)
    MeetingOutcome.objects.filter(meeting=week.meetings[3]).update(outcome=Outcome.HELD)
    BoothVisit.objects.bulk_create(
        [BoothVisit(company=week.s2, day=at(5, 10).date(), visitor_key="z", views=4)]
    )
    result = services.event_figures(week.event, PERIOD, by=organizer)
    assert result.value("consultations_held") == 3
    assert result.value("booth_visits") == 6
    assert result.value("booth_views") == 12


def test_each_language_gets_its_own_figures(week, organizer):
    with translation.override("ko"):
        korean = services.event_figures(week.event, PERIOD, by=organizer)
    with translation.override("en"):
        english = services.event_figures(week.event, PERIOD, by=organizer)
    assert english.table("funnel").title == "Matching funnel"
    assert korean.table("funnel").title != english.table("funnel").title
    assert korean.value("consultation_confirmed") == english.value("consultation_confirmed")


def test_cached_company_figures_still_check_who_asks(week):
    own = factories.make_member(week.s1, email="own@example.test")
    other = factories.make_member(week.s2, email="other@example.test")
    services.company_figures(week.s1, week.event, PERIOD, by=own)  # now cached
    with pytest.raises(PermissionDenied):
        services.company_figures(week.s1, week.event, PERIOD, by=other)
