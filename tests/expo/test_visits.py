"""Booth visits are collected per process and written in batches (expo/visits.py)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from bizweek.expo import visits
from bizweek.expo.models import BoothVisit
from tests import factories


def views_by_visitor(company) -> list[tuple[str, int]]:
    return sorted(BoothVisit.objects.filter(company=company).values_list("role", "views"), key=str)


def test_a_batch_counts_what_writing_each_visit_would(client, settings, seller, buyer):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 3600  # nothing is due during the test
    url = reverse("expo:booth", args=[seller.pk])
    anonymous = Client()
    anonymous.get(url)
    anonymous.get(url)
    client.force_login(buyer)
    client.get(url)
    assert not BoothVisit.objects.exists(), "collected, not written yet"
    assert visits.pending_count() == 2
    assert visits.flush() == 2
    assert views_by_visitor(seller) == [("buyer", 1), ("visitor", 2)]
    # The next batch adds to the rows already there: the same visitors, more views.
    anonymous.get(url)
    client.get(url)
    client.get(url)
    visits.flush()
    assert views_by_visitor(seller) == [("buyer", 3), ("visitor", 3)]


def test_a_due_batch_is_written_by_the_next_visit(client, settings, seller):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0
    client.get(reverse("expo:booth", args=[seller.pk]))
    assert visits.pending_count() == 0
    assert views_by_visitor(seller) == [("visitor", 1)]


@pytest.mark.django_db(transaction=True)
def test_visits_to_a_booth_deleted_before_the_write_are_dropped_alone(settings):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 3600
    factories.make_event()
    kept, deleted = factories.make_company(), factories.make_company()
    visitor = Client()
    visitor.get(reverse("expo:booth", args=[kept.pk]))
    visitor.get(reverse("expo:booth", args=[deleted.pk]))
    deleted.delete()
    assert visits.flush() == 1
    assert BoothVisit.objects.filter(company=kept).count() == 1
    assert visits.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_flusher_writes_visits_when_requests_stop(settings):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 3600  # no request would write them
    factories.make_event()
    seller = factories.make_company()
    Client().get(reverse("expo:booth", args=[seller.pk]))
    stop = visits.start_flusher(interval=0.1)
    try:
        deadline = time.monotonic() + 10
        while not BoothVisit.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert views_by_visitor(seller) == [("visitor", 1)]


def test_visits_count_on_the_event_day_whatever_the_visitors_zone(
    client, monkeypatch, settings, event, seller, buyer
):
    from datetime import UTC, date, datetime

    from django.utils import timezone

    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0
    buyer.timezone = "America/Los_Angeles"  # still 29 November there
    buyer.save()
    moment = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 30 November, 01:00 in Seoul
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert event.timezone == "Asia/Seoul"
    client.force_login(buyer)
    client.get(reverse("expo:booth", args=[seller.pk]))
    Client().get(reverse("expo:booth", args=[seller.pk]))
    days = set(BoothVisit.objects.values_list("day", flat=True))
    assert days == {date(2026, 11, 30)}


@pytest.mark.django_db(transaction=True)
def test_in_a_server_requests_leave_the_writing_to_the_flusher(settings):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0  # every visit would be due at once
    factories.make_event()
    seller = factories.make_company()
    stop = visits.start_flusher(interval=3600)  # it writes only when stopped
    try:
        deadline = time.monotonic() + 5
        while not visits._flusher_running.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        Client().get(reverse("expo:booth", args=[seller.pk]))
        assert visits.pending_count() == 1, "the request did not write it"
    finally:
        stop.set()
    deadline = time.monotonic() + 10
    while not BoothVisit.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert views_by_visitor(seller) == [("visitor", 1)], "the flusher's last write"
