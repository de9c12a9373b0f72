"""The figures of a known week, computed in the database and equal in every output."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bizweek.dashboard import services
from bizweek.dashboard.figures import Period

from .conftest import at, make_meeting


def figures(week, organizer, since=None, until=None):
    period = Period(since=since, until=until, tz="Asia/Seoul")
    return services.event_figures(week.event, period, by=organizer)


def rows(table) -> dict:
    return {str(row[0]): row[1:] for row in table.rows}


def test_event_figures_count_known_week(week, organizer):
    result = figures(week, organizer)
    assert result.value("sellers_approved") == 2
    assert result.value("buyers_approved") == 2
    assert result.value("approval_queue") == 1
    assert result.value("countries") == 3  # KR, TH, CN (the US buyer was rejected)
    assert result.value("requests") == 5
    assert result.value("acceptance_rate") == Decimal("66.7")  # 2 of 3 answered
    assert result.value("meetings_scheduled") == 4
    assert result.value("interpreted_meetings") == 2
    assert result.value("consultations_held") == 2
    assert result.value("no_show_rate") == Decimal("33.3")  # 1 of 3 decided
    assert result.value("logs_filed") == 2
    assert result.value("consultation_confirmed") == Decimal("100000.00")
    assert result.value("consultation_one_sided") == Decimal("9800.00")
    assert result.value("expected_contract_confirmed") == Decimal("0.00")
    assert result.value("expected_contract_one_sided") == Decimal("50000.00")
    assert result.value("signed_contract_confirmed") == Decimal("20000.00")
    assert result.value("signed_contract_one_sided") == Decimal("0.00")
    assert result.value("mou_confirmed") == 1
    assert result.value("mou_one_sided") == 1
    assert result.value("booth_visits") == 5
    assert result.value("booth_views") == 8
    by_role = rows(result.table("companies_by_role"))
    assert by_role["Seller (exhibitor)"] == [3, 1, 2, 0]
    assert by_role["Buyer"] == [3, 0, 2, 1]
    assert by_role["Total"] == [6, 1, 4, 1]
    by_country = rows(result.table("companies_by_country"))
    assert by_country["South Korea"] == [3, 0, 2]
    assert by_country["Thailand"] == [0, 1, 1]
    by_sector = rows(result.table("companies_by_sector"))
    assert by_sector["ICT"] == [2, 0, 1]
    funnel = rows(result.table("funnel"))
    assert funnel["Requests"] == [5, Decimal("100.0")]
    assert funnel["Accepted"] == [2, Decimal("40.0")]
    assert funnel["Scheduled meetings"] == [4, Decimal("80.0")]
    assert funnel["Held"] == [2, Decimal("40.0")]
    assert funnel["Consultation log filed"] == [2, Decimal("40.0")]
    assert rows(result.table("interpreters")) == {"ko-th": [1, 1, 1], "ko-zh": [1, 0, 1]}
    d = Decimal
    by_country = rows(result.table("consultations_by_country"))
    assert by_country["Thailand"] == [
        1,
        d("100000.00"),
        d("0.00"),
        d("0.00"),
        d("50000.00"),
        d("20000.00"),
        d("0.00"),
        1,
        0,
    ]
    assert by_country["China"] == [
        1,
        d("0.00"),
        d("9800.00"),
        d("0.00"),
        d("0.00"),
        d("0.00"),
        d("0.00"),
        0,
        1,
    ]
    by_company = rows(result.table("consultations_by_exhibitor"))
    assert by_company["Changwon Precision"][:3] == [2, d("100000.00"), d("9800.00")]
    by_day = rows(result.table("consultations_by_day"))
    assert [by_day[k][0] for k in ("2026-11-03", "2026-11-04", "2026-11-05")] == [1, 1, 0]
    assert rows(result.table("consultations_by_sector"))["ICT"][:3] == [
        2,
        d("100000.00"),
        d("9800.00"),
    ]
    assert rows(result.table("visits_by_day")) == {"2026-11-03": [3, 6], "2026-11-04": [2, 2]}


def test_event_figures_period_keeps_only_its_days(week, organizer):
    result = figures(week, organizer, since=date(2026, 11, 4), until=date(2026, 11, 4))
    assert result.value("meetings_scheduled") == 2
    assert result.value("consultation_confirmed") == Decimal("0.00")
    assert result.value("consultation_one_sided") == Decimal("9800.00")
    assert result.value("booth_visits") == 2
    assert rows(result.table("interpreters")) == {"ko-zh": [1, 0, 1]}


def test_event_figures_cost_the_same_queries_with_more_meetings(week, organizer):
    cache.clear()  # both computed in full, not served from the figures cache
    with CaptureQueriesContext(connection) as before:
        figures(week, organizer)
    for hour in range(8, 20):
        make_meeting(week.event, week.s2, week.b2, at(5, hour), needs_interpreter=True)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        result = figures(week, organizer)
    assert result.value("meetings_scheduled") == 16
    assert len(after.captured_queries) == len(before.captured_queries)


def test_company_figures_show_only_own_company(week):
    from tests import factories

    member = factories.make_member(week.s1)
    result = services.company_figures(week.s1, week.event, Period(tz="Asia/Seoul"), by=member)
    assert result.value("requests") == 2
    assert result.value("meetings_scheduled") == 2
    assert result.value("consultation_confirmed") == Decimal("100000.00")
    assert result.value("booth_visits") == 3
    leads = {row[0]: row for row in services.lead_rows(week.s1, Period(), by=member)}
    assert leads["Bangkok Trading"][3:8] == [1, 2, 1, "Accepted (scheduled)", 1]


def test_company_figures_refuse_another_company(week):
    from django.core.exceptions import PermissionDenied

    from tests import factories

    member = factories.make_member(week.s2)
    with pytest.raises(PermissionDenied):
        services.company_figures(week.s1, week.event, Period(), by=member)
    with pytest.raises(PermissionDenied):
        services.event_figures(week.event, Period(), by=member)
