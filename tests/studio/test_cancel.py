"""Cancelling a show outside the admin (organizers, with a confirmation step): it stays on the
schedule marked as cancelled, cannot go live, sends no reminder, and everyone who asked for a
reminder is told in their own language; restoring it undoes all of that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bizweek.audit.models import AuditEntry
from bizweek.core.tasks import run_pending_jobs
from bizweek.events.models import AgendaItem
from bizweek.notifications.models import Notification
from bizweek.studio import reminders
from bizweek.studio.models import BroadcastSession, SessionState, ShowReminder
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # reminders are told by a queued job


@pytest.fixture
def upcoming(show):
    show.starts_at = timezone.now() + timedelta(minutes=10)
    show.ends_at = show.starts_at + timedelta(minutes=50)
    show.save()
    return show


@pytest.fixture
def organizer(transactional_db):
    return factories.make_organizer(email="org@example.test")


def _subscribe(session, **fields) -> object:
    user = factories.make_user(**fields)
    ShowReminder.objects.create(session=session, user=user)
    return user


def test_organizer_cancels_after_confirming_and_subscribers_are_told(client, upcoming, organizer):
    korean = _subscribe(upcoming, language="ko", email="ko@example.test")
    chinese = _subscribe(upcoming, language="zh-hans", email="zh@example.test")
    assert AgendaItem.objects.filter(pk=upcoming.agenda_item_id).exists()
    client.force_login(organizer)
    edit = client.get(f"/studio/{upcoming.pk}/edit/").content.decode()
    assert f'href="/studio/{upcoming.pk}/cancel/"' in edit
    assert f'href="/studio/{upcoming.pk}/cancel/"' in client.get("/studio/").content.decode()
    confirm = client.get(f"/studio/{upcoming.pk}/cancel/")
    assert confirm.status_code == 200 and "data-confirm-cancel" in confirm.content.decode()
    assert "2 people asked for a reminder" in confirm.content.decode()
    upcoming.refresh_from_db()
    assert upcoming.state == SessionState.SCHEDULED  # looking at the question changes nothing

    response = client.post(f"/studio/{upcoming.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/studio/"
    upcoming.refresh_from_db()
    assert upcoming.state == SessionState.CANCELLED
    assert not AgendaItem.objects.exists()  # off "coming up" and the host's home
    assert AuditEntry.objects.filter(action="show.cancelled").count() == 1

    run_pending_jobs()
    told = {n.user_id: n for n in Notification.objects.filter(kind="show_cancelled")}
    assert set(told) == {korean.pk, chinese.pk}
    assert "취소" in told[korean.pk].title and "오아시스 라이브 PR 1" in told[korean.pk].title
    assert "取消" in told[chinese.pk].title
    assert "알림은 보내지 않습니다" in told[korean.pk].body
    assert sorted(m.to[0] for m in mail.outbox) == ["ko@example.test", "zh@example.test"]
    assert told[korean.pk].url == f"/studio/{upcoming.pk}/"

    schedule = client.get("/studio/").content.decode()
    assert "data-cancelled" in schedule and "data-remind-me" not in schedule
    assert f'href="/studio/{upcoming.pk}/restore/"' in schedule  # the organizer's way back
    page = client.get(f"/studio/{upcoming.pk}/").content.decode()
    assert "This show is cancelled." in page and "data-remind" not in page
    assert b"STATUS:CANCELLED" in client.get(f"/studio/{upcoming.pk}.ics").content
    # No reminder goes out at the time it would have, and nobody can take a new one.
    assert reminders.send_due(now=upcoming.starts_at - timedelta(minutes=5)) == 0
    assert not reminders.set_reminder(upcoming, organizer, True)
    # It cannot go live: the console refuses, with the reason.
    response = client.post(f"/studio/{upcoming.pk}/console/live/", follow=True)
    assert "an organizer must restore it first" in response.content.decode()
    upcoming.refresh_from_db()
    assert upcoming.state == SessionState.CANCELLED and upcoming.went_live_at is None


def test_restoring_brings_back_the_show_its_agenda_row_and_its_reminders(
    client, upcoming, organizer
):
    viewer = _subscribe(upcoming, language="zh-hant", email="tw@example.test")
    client.force_login(organizer)
    client.post(f"/studio/{upcoming.pk}/cancel/")
    run_pending_jobs()
    assert "data-confirm-cancel" in client.get(f"/studio/{upcoming.pk}/restore/").content.decode()
    response = client.post(f"/studio/{upcoming.pk}/restore/")
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.state == SessionState.SCHEDULED
    assert AgendaItem.objects.get(broadcast=upcoming).starts_at == upcoming.starts_at
    run_pending_jobs()
    kinds = list(
        Notification.objects.filter(user=viewer).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["show_cancelled", "show_restored"]
    assert "恢復" in Notification.objects.get(kind="show_restored").title
    assert reminders.send_due(now=upcoming.starts_at - timedelta(minutes=5)) == 1


def test_a_later_change_wins_over_a_queued_notice(client, upcoming, organizer):
    """Cancelled and restored before the worker ran: nobody is told it is cancelled."""
    _subscribe(upcoming)
    client.force_login(organizer)
    client.post(f"/studio/{upcoming.pk}/cancel/")
    client.post(f"/studio/{upcoming.pk}/restore/")
    run_pending_jobs()
    assert list(Notification.objects.values_list("kind", flat=True)) == ["show_restored"]


def test_only_organizers_may_cancel_and_only_by_post_with_csrf(client, upcoming, host, organizer):
    for user in (host, factories.make_user(), factories.make_member(factories.make_company())):
        client.force_login(user)
        assert client.get(f"/studio/{upcoming.pk}/cancel/").status_code == 403
        assert client.post(f"/studio/{upcoming.pk}/cancel/").status_code == 403
        assert client.post(f"/studio/{upcoming.pk}/restore/").status_code == 403
    client.logout()
    assert "login" in client.post(f"/studio/{upcoming.pk}/cancel/")["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(organizer)
    assert strict.post(f"/studio/{upcoming.pk}/cancel/").status_code == 403
    assert BroadcastSession.objects.get().state == SessionState.SCHEDULED
    # The host's console does not offer it either (the programme is the organizers').
    client.force_login(host)
    assert "/cancel/" not in client.get(f"/studio/{upcoming.pk}/console/").content.decode()


def test_a_live_or_past_show_is_not_cancelled_or_restored(client, show, organizer):
    client.force_login(organizer)
    show.state = SessionState.LIVE
    show.save()
    page = client.post(f"/studio/{show.pk}/cancel/", follow=True).content.decode()
    assert "Only a show that has not started can be cancelled." in page
    show.refresh_from_db()
    assert show.state == SessionState.LIVE
    show.state = SessionState.CANCELLED
    show.ends_at = timezone.now() - timedelta(minutes=1)
    show.save()
    page = client.post(f"/studio/{show.pk}/restore/", follow=True).content.decode()
    assert "change its times, then restore it" in page
    show.refresh_from_db()
    assert show.state == SessionState.CANCELLED
