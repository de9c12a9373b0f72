from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bizweek.events.models import AgendaItem, Phase
from tests import factories

pytestmark = pytest.mark.django_db


def test_phase_follows_the_event_dates():
    now = timezone.now()
    event = factories.make_event(
        registration_opens_at=now + timedelta(days=1),
        registration_closes_at=now + timedelta(days=20),
        starts_at=now + timedelta(days=21),
        ends_at=now + timedelta(days=25),
        matching_ends_at=now + timedelta(days=60),
    )
    assert event.phase_at(now) == Phase.UPCOMING
    assert event.phase_at(now + timedelta(days=2)) == Phase.REGISTRATION
    assert event.phase_at(now + timedelta(days=22)) == Phase.LIVE
    assert event.phase_at(now + timedelta(days=30)) == Phase.MATCHING
    assert event.phase_at(now + timedelta(days=61)) == Phase.CLOSED


def test_home_shows_what_is_on_now_and_next(client):
    event = factories.make_event()
    now = timezone.now()
    AgendaItem.objects.create(
        event=event,
        kind="ceremony",
        title_en="Opening ceremony",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=55),
    )
    AgendaItem.objects.create(
        event=event,
        kind="pr_session",
        title_en="Live PR 1: Hydrogen",
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
    )
    response = client.get(reverse("home"))
    assert response.context["happening_now"][0].title_en == "Opening ceremony"
    assert response.context["coming_up"][0].title_en == "Live PR 1: Hydrogen"
    assert response.context["phase"] == Phase.LIVE


def test_home_without_event_says_so(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "No event has been set up yet" in response.content.decode()


def test_changes_to_the_event_show_on_the_next_page_although_it_is_cached(client, db):
    from django.core.cache import cache

    from bizweek.events.services import CURRENT_EVENT_KEY

    event = factories.make_event(name_en="Changwon Business Week")
    assert "Changwon Business Week" in client.get(reverse("home")).content.decode()
    assert cache.get(CURRENT_EVENT_KEY) is not None, "pages read the event from the cache"
    event.name_en = "Changwon Global Week"
    event.save()
    assert "Changwon Global Week" in client.get(reverse("home")).content.decode()
    event.delete()
    assert "No event has been set up yet" in client.get(reverse("home")).content.decode()
