"""Reminders before a show: subscribing from the schedule, one reminder in the viewer's language."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from bizweek.notifications.models import Notification
from bizweek.studio import reminders
from bizweek.studio.models import ShowReminder
from tests import factories

from .conftest import make_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def upcoming(show):
    """The show, starting in ten minutes (the fixture's show is already on)."""
    show.starts_at = timezone.now() + timedelta(minutes=10)
    show.ends_at = show.starts_at + timedelta(minutes=50)
    show.save()
    return show


def test_viewer_subscribes_on_the_schedule_and_can_cancel(client, upcoming, buyer_member):
    client.force_login(buyer_member)
    page = client.get("/studio/").content.decode()
    assert "data-remind-me" in page
    response = client.post(
        f"/studio/{upcoming.pk}/remind/", {"wanted": "1", "next": "/studio/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/studio/"
    assert "data-remind-cancel" in response.content.decode()
    assert ShowReminder.objects.filter(session=upcoming, user=buyer_member).count() == 1
    client.post(f"/studio/{upcoming.pk}/remind/", {"wanted": "1"})  # twice: still one
    assert ShowReminder.objects.filter(session=upcoming, user=buyer_member).count() == 1
    client.post(f"/studio/{upcoming.pk}/remind/", {"wanted": "0"})
    assert not ShowReminder.objects.exists()


def test_anonymous_visitor_is_sent_to_sign_in_and_elsewhere_is_refused(client, upcoming):
    page = client.get(f"/studio/{upcoming.pk}/").content.decode()
    assert f'?next=/studio/{upcoming.pk}/">Remind me</a>' in page  # leads to sign-in
    response = client.post(f"/studio/{upcoming.pk}/remind/", {"wanted": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not ShowReminder.objects.exists()

    member = factories.make_user()
    client.force_login(member)
    assert client.get(f"/studio/{upcoming.pk}/remind/").status_code == 405
    response = client.post(
        f"/studio/{upcoming.pk}/remind/", {"wanted": "1", "next": "https://evil.test/"}
    )
    assert response["Location"] == f"/studio/{upcoming.pk}/"  # never off the site


def test_a_show_that_has_started_takes_no_reminder(client, show, buyer_member):
    client.force_login(buyer_member)
    response = client.post(f"/studio/{show.pk}/remind/", {"wanted": "1"}, follow=True)
    assert not ShowReminder.objects.exists()
    assert "already started" in response.content.decode()


def test_reminder_sent_once_before_the_start_in_the_viewers_language(upcoming):
    korean = factories.make_user(language="ko", timezone="Asia/Seoul", email="kim@example.test")
    english = factories.make_user(language="en", timezone="Asia/Bangkok")
    later = make_show(
        upcoming.event,
        title_en="Closing ceremony",
        starts_at=timezone.now() + timedelta(hours=3),
        ends_at=timezone.now() + timedelta(hours=4),
    )
    for user in (korean, english):
        reminders.set_reminder(upcoming, user, True)
    reminders.set_reminder(later, korean, True)

    assert reminders.send_due() == 2
    assert reminders.send_due() == 0  # once
    ko = Notification.objects.get(user=korean, kind="show_reminder")
    assert ko.title == '10분 후: 라이브 쇼 "오아시스 라이브 PR 1: 소비재"'
    assert ko.url == f"/studio/{upcoming.pk}/"
    local = timezone.localtime(upcoming.starts_at, timezone=ZoneInfo("Asia/Seoul"))
    assert local.strftime("%H:%M") in ko.body and "시작합니다" in ko.body
    en = Notification.objects.get(user=english, kind="show_reminder")
    assert en.title == 'In 10 minutes: live show "Oasis live PR 1: Consumer goods"'
    assert [m.to for m in mail.outbox] == [[korean.email], [english.email]]
    assert f"/studio/{upcoming.pk}/" in mail.outbox[0].body
    assert not Notification.objects.filter(title__contains="Closing").exists()  # 3 h away
