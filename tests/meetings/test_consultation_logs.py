"""The consultation log (상담일지): who files it, currency conversion, confirmation, totals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.meetings import services
from bizweek.meetings.models import LogCurrency, MeetingPolicy, NextStep
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def interpreter(db):
    return factories.make_user(role=Role.INTERPRETER)


@pytest.fixture
def meeting(event, seller, buyer_company, interpreter):
    return factories.make_meeting(
        event,
        seller,
        buyer_company,
        starts_at=timezone.now() - timedelta(minutes=40),
        interpreter=interpreter,
    )


@pytest.fixture
def rates(event, organizer):
    services.set_exchange_rate(event, "KRW", Decimal("0.00075"), by=organizer)
    services.set_exchange_rate(event, "CNY", Decimal("0.14"), by=organizer)


def test_file_log_converts_each_amount_to_usd_and_keeps_both(meeting, exhibitor, seller, rates):
    log = services.file_log(
        meeting,
        company=seller,
        by=exhibitor,
        consultation_amount=Decimal("100000000"),
        consultation_currency=LogCurrency.KRW,
        signed_contract_amount=Decimal("5000"),
        signed_contract_currency=LogCurrency.CNY,
        next_step=NextStep.SAMPLE,
    )
    assert log.consultation_amount == Decimal("100000000")
    assert log.consultation_currency == "KRW"
    assert log.consultation_usd == Decimal("75000.00")
    assert log.signed_contract_usd == Decimal("700.00")
    assert log.expected_contract_usd is None


def test_file_log_keeps_usd_value_of_filing_time_when_rate_changes(
    meeting, exhibitor, seller, rates, organizer, event
):
    services.file_log(
        meeting, company=seller, by=exhibitor, consultation_amount=1000, consultation_currency="CNY"
    )
    services.set_exchange_rate(event, "CNY", Decimal("0.2"), by=organizer)
    assert meeting.logs.get().consultation_usd == Decimal("140.00")


def test_file_log_without_rate_for_currency_is_refused(meeting, exhibitor, seller):
    with pytest.raises(ValidationError, match="rate for KRW"):
        services.file_log(
            meeting,
            company=seller,
            by=exhibitor,
            consultation_amount=1,
            consultation_currency="KRW",
        )
    assert not meeting.logs.exists()


def test_file_log_by_other_company_is_refused(meeting, buyer, seller):
    with pytest.raises(PermissionDenied):
        services.file_log(meeting, company=seller, by=buyer, consultation_amount=1)


def test_file_log_by_interpreter_for_both_sides(meeting, interpreter, seller, buyer_company):
    services.file_log(meeting, company=seller, by=interpreter, consultation_amount=10)
    log = services.file_log(meeting, company=buyer_company, by=interpreter, consultation_amount=10)
    assert log.by_interpreter
    assert meeting.logs.count() == 2


def test_file_log_after_reporting_deadline_is_refused(meeting, exhibitor, seller, event):
    MeetingPolicy.objects.create(event=event, report_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="deadline"):
        services.file_log(meeting, company=seller, by=exhibitor, consultation_amount=1)


def test_file_log_with_product_of_other_company_is_refused(meeting, exhibitor, seller):
    other = factories.make_product(factories.make_company())
    with pytest.raises(ValidationError, match="catalog"):
        services.file_log(meeting, company=seller, by=exhibitor, products=[other])


def test_figure_confirmed_when_both_logs_agree_across_currencies(
    meeting, exhibitor, buyer, seller, buyer_company, rates
):
    services.file_log(meeting, company=seller, by=exhibitor, consultation_amount=Decimal("7000"))
    figures = services.meeting_figures(meeting)
    assert figures["consultation"].reported_by == "seller"
    assert not figures["consultation"].confirmed
    services.file_log(
        meeting,
        company=buyer_company,
        by=buyer,
        consultation_amount=Decimal("50000"),
        consultation_currency="CNY",
        expected_contract_amount=Decimal("100"),
    )
    figures = services.meeting_figures(meeting)
    assert figures["consultation"].confirmed
    assert figures["consultation"].usd == Decimal("7000.00")
    assert figures["expected_contract"].reported_by == "buyer"
    assert not figures["expected_contract"].confirmed


def test_event_totals_count_a_confirmed_figure_once(
    meeting, exhibitor, buyer, seller, buyer_company, event
):
    services.file_log(meeting, company=seller, by=exhibitor, consultation_amount=500)
    services.file_log(meeting, company=buyer_company, by=buyer, consultation_amount=500)
    totals = services.event_log_totals(event)
    assert totals["consultation_confirmed_usd"] == Decimal("500.00")
    assert totals["consultation_seller_reported_usd"] == Decimal("500.00")
    assert totals["consultation_buyer_reported_usd"] == Decimal("500.00")
    # The buyer corrects the figure: nothing is confirmed any more.
    services.file_log(meeting, company=buyer_company, by=buyer, consultation_amount=900)
    assert services.event_log_totals(event)["consultation_confirmed_usd"] == Decimal(0)


def test_set_exchange_rate_by_non_organizer_is_refused(event, exhibitor):
    with pytest.raises(PermissionDenied):
        services.set_exchange_rate(event, "KRW", Decimal("0.001"), by=exhibitor)
