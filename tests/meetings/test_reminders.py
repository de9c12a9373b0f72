"""Meeting reminders: 24 hours and 15 minutes before, once each, to everyone in the meeting."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from bizweek.accounts.models import Role
from bizweek.meetings import services as meeting_services
from bizweek.meetings.models import Meeting
from bizweek.notifications.models import Notification
from bizweek.timezones import dual_label
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def starts():
    """03:00 UTC (12:00 Seoul, 10:00 Bangkok), so a day before is the day before everywhere."""
    return (timezone.now() + timedelta(days=3)).replace(hour=3, minute=0, second=0, microsecond=0)


@pytest.fixture
def people(seller, buyer_company, exhibitor, buyer):
    """Both companies' members, each with their own language and zone, plus one who left."""
    seller.name_zh_hans = "昌原精密"
    seller.save()
    buyer_company.name_en = "Bangkok Huafeng Trading"
    buyer_company.save()
    buyer.timezone = "Asia/Bangkok"
    buyer.save()
    colleague = factories.make_member(seller, email="colleague@example.test", language="ko")
    factories.make_member(seller, email="former@example.test", is_active=False)
    return {"exhibitor": exhibitor, "buyer": buyer, "colleague": colleague}


@pytest.fixture
def meeting(event, seller, buyer_company, people, starts):
    meeting = meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=starts)
    mail.outbox.clear()
    return meeting


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def reminders(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__email", flat=True))


RECIPIENTS = ["buyer@example.test", "colleague@example.test", "exhibitor@example.test"]


def test_send_due_reminders_nothing_due_more_than_a_day_ahead(meeting, starts):
    assert meeting_services.send_due_reminders(starts - timedelta(hours=25)) == 0
    assert mail.outbox == [] and not Notification.objects.exists()


def test_send_due_reminders_24h_reminder_goes_once_to_both_companies(meeting, starts):
    assert meeting_services.send_due_reminders(starts - timedelta(hours=23)) == 1
    assert reminders("reminder_24h") == RECIPIENTS
    assert sent_to() == RECIPIENTS
    assert all(message.attachments for message in mail.outbox)  # the .ics comes along
    meeting.refresh_from_db()
    assert meeting.reminded_24h_at == starts - timedelta(hours=23)
    assert meeting.reminded_15m_at is None

    mail.outbox.clear()
    assert meeting_services.send_due_reminders(starts - timedelta(hours=22)) == 0
    assert meeting_services.send_due_reminders(starts - timedelta(hours=1)) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(kind="reminder_24h").count() == 3


def test_send_due_reminders_mail_is_in_each_recipients_language_and_zone(
    meeting, people, seller, buyer_company, starts
):
    meeting_services.send_due_reminders(starts - timedelta(hours=23))
    by_address = {message.to[0]: message for message in mail.outbox}

    def expected_subject(language: str, other, when: str) -> str:
        with translation.override(language):
            return translation.gettext("Meeting with %(name)s %(when)s") % {
                "name": other.name,
                "when": translation.gettext("tomorrow at %(time)s") % {"time": when},
            }

    to_buyer = by_address["buyer@example.test"]
    bangkok = starts.astimezone(ZoneInfo("Asia/Bangkok")).strftime("%H:%M")
    seoul = starts.astimezone(ZoneInfo("Asia/Seoul")).strftime("%H:%M")
    assert to_buyer.subject == expected_subject("zh-hans", seller, bangkok)
    assert "昌原精密" in to_buyer.subject  # the seller's Chinese name, for a Chinese reader
    with translation.override("zh-hans"):
        assert dual_label(starts, "Asia/Bangkok", "Asia/Seoul") in to_buyer.body
    assert "曼谷" in to_buyer.body and "首尔" in to_buyer.body  # CLDR city names in Chinese
    to_exhibitor = by_address["exhibitor@example.test"]
    assert to_exhibitor.subject == expected_subject("en", buyer_company, seoul)
    assert "Bangkok Huafeng Trading" in to_exhibitor.subject
    assert dual_label(starts, "Asia/Seoul", "Asia/Bangkok") in to_exhibitor.body
    assert by_address["colleague@example.test"].subject == expected_subject(
        "ko", buyer_company, seoul
    )
    # The in-app notification is in the reader's language too.
    note = Notification.objects.get(user=people["buyer"], kind="reminder_24h")
    assert note.title == to_buyer.subject
    assert note.url == f"/meetings/{meeting.pk}/"


def test_send_due_reminders_15m_reminder_goes_once_after_the_24h_one(meeting, starts):
    meeting_services.send_due_reminders(starts - timedelta(hours=23))
    mail.outbox.clear()
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=20)) == 0
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=14)) == 1
    assert reminders("reminder_15m") == RECIPIENTS
    assert sent_to() == RECIPIENTS
    (to_exhibitor,) = [m for m in mail.outbox if m.to == ["exhibitor@example.test"]]
    assert to_exhibitor.subject.startswith("In 14 minutes: meeting with")

    mail.outbox.clear()
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=5)) == 0
    assert meeting_services.send_due_reminders(starts + timedelta(minutes=5)) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(kind="reminder_15m").count() == 3
    assert Notification.objects.filter(kind="reminder_24h").count() == 3


def test_send_due_reminders_short_notice_meeting_gets_only_the_15m_reminder(meeting, starts):
    """Booked ten minutes ahead: a 'tomorrow' reminder after the 'in 15 minutes' one is wrong."""
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=10)) == 1
    assert reminders("reminder_15m") == RECIPIENTS
    assert reminders("reminder_24h") == []
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=9)) == 0
    assert reminders("reminder_24h") == []


def test_send_due_reminders_skips_cancelled_meetings(meeting, exhibitor, starts):
    meeting_services.cancel(meeting, by=exhibitor)
    Notification.objects.all().delete()
    mail.outbox.clear()
    assert meeting_services.send_due_reminders(starts - timedelta(hours=23)) == 0
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=10)) == 0
    assert mail.outbox == [] and not Notification.objects.exists()


def test_send_due_reminders_includes_the_interpreter(meeting, event, starts):
    interpreter = factories.make_user(role=Role.INTERPRETER, email="interp@example.test")
    Meeting.objects.filter(pk=meeting.pk).update(interpreter=interpreter)
    assert meeting_services.send_due_reminders(starts - timedelta(hours=23)) == 1
    assert reminders("reminder_24h") == sorted([*RECIPIENTS, "interp@example.test"])


def test_reminders_command_sends_due_reminders_once(event, seller, buyer_company, people):
    soon = timezone.now() + timedelta(hours=2)
    meeting = meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=soon)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=soon - timedelta(days=3))
    mail.outbox.clear()
    out = StringIO()
    call_command("reminders", stdout=out)
    assert "reminders sent: 1" in out.getvalue()
    assert sent_to() == RECIPIENTS
    out = StringIO()
    call_command("reminders", stdout=out)
    assert "reminders sent: 0" in out.getvalue()
    assert len(mail.outbox) == 3


def test_send_due_reminders_no_24h_reminder_for_a_meeting_booked_less_than_a_day_ahead(
    event, seller, buyer_company, people
):
    """Booked 88 minutes ahead: the booking notice is the news; a 'tomorrow' mail is a lie."""
    starts = (timezone.now() + timedelta(minutes=88)).replace(second=0, microsecond=0)
    meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=starts)
    mail.outbox.clear()
    assert meeting_services.send_due_reminders(timezone.now()) == 0
    assert mail.outbox == [] and reminders("reminder_24h") == []
    assert meeting_services.send_due_reminders(starts - timedelta(minutes=15)) == 1
    assert reminders("reminder_15m") == RECIPIENTS


def booked_long_ago(event, seller, buyer_company, starts):
    meeting = meeting_services.book(event, seller=seller, buyer=buyer_company, starts_at=starts)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=starts - timedelta(days=7))
    mail.outbox.clear()
    return meeting


def subject_to(address: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message.subject


def test_send_due_reminders_wording_counts_days_in_each_recipients_zone_around_midnight(
    event, seller, buyer_company, people
):
    """16:30 UTC is 01:30 the next day in Seoul and 23:30 in Bangkok. Sent at 17:00 UTC the
    day before, it is 02:00 in Seoul (the meeting is tomorrow) and midnight in Bangkok (today)."""
    from datetime import UTC, datetime

    starts = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)
    for user in people.values():
        user.language = "en"
        user.save()
    booked_long_ago(event, seller, buyer_company, starts)
    assert meeting_services.send_due_reminders(datetime(2026, 12, 7, 17, 0, tzinfo=UTC)) == 1
    assert subject_to("exhibitor@example.test").endswith("tomorrow at 01:30")  # Seoul
    assert subject_to("buyer@example.test").endswith("today at 23:30")  # Bangkok
    note = Notification.objects.get(user=people["buyer"], kind="reminder_24h")
    assert "your meeting is today at 23:30" in note.body


def test_send_due_reminders_15m_wording_just_before_midnight_says_tomorrow(
    event, seller, buyer_company, people
):
    """At 23:55 in Seoul a meeting at 00:05 is in 10 minutes and tomorrow, not 'today'."""
    from datetime import UTC, datetime

    starts = datetime(2026, 12, 7, 15, 5, tzinfo=UTC)  # 00:05 Seoul, 22:05 Bangkok
    for user in people.values():
        user.language = "en"
        user.save()
    booked_long_ago(event, seller, buyer_company, starts)
    meeting_services.send_due_reminders(datetime(2026, 12, 7, 14, 55, tzinfo=UTC))
    assert subject_to("exhibitor@example.test").startswith("In 10 minutes: meeting with")
    exhibitor_mail = [m for m in mail.outbox if m.to == ["exhibitor@example.test"]]
    assert "soon, tomorrow at 00:05." in exhibitor_mail[0].body
    buyer_mail = [m for m in mail.outbox if m.to == ["buyer@example.test"]]
    assert "soon, today at 22:05." in buyer_mail[0].body


def test_reminder_mail_links_to_the_meeting_with_a_label_and_the_app_text_has_no_bare_path(
    meeting, people, starts, settings
):
    settings.SITE_URL = "http://bizweek.example.test:8123"
    people["exhibitor"].language = "en"
    people["exhibitor"].save()
    meeting_services.send_due_reminders(starts - timedelta(hours=23))
    (message,) = [m for m in mail.outbox if m.to == ["exhibitor@example.test"]]
    link = f"http://bizweek.example.test:8123/meetings/{meeting.pk}/"
    assert f"Open the meeting: {link}" in message.body
    note = Notification.objects.get(user=people["exhibitor"], kind="reminder_24h")
    assert "/meetings/" not in note.body and note.link_label == "Open the meeting"
