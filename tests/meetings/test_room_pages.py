"""The pages around a meeting: the room, "it didn't happen", the consultation log form and
the organizer's exchange rates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.meetings import services
from bizweek.meetings.models import ConsultationLog, ExchangeRate, Outcome
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def interpreter(db):
    return factories.make_user(role=Role.INTERPRETER, languages="ko-zh")


@pytest.fixture
def meeting(event, seller, buyer_company, interpreter):
    return factories.make_meeting(
        event,
        seller,
        buyer_company,
        starts_at=timezone.now() - timedelta(minutes=3),
        interpreter=interpreter,
    )


def test_room_page_for_participants_and_observers(client, meeting, exhibitor, buyer, organizer):
    for user, role in ((exhibitor, "seller"), (buyer, "buyer"), (organizer, "observer")):
        client.force_login(user)
        response = client.get(reverse("meetings:room", args=[meeting.pk]))
        assert response.status_code == 200
        assert f'data-role="{role}"' in response.content.decode()


def test_room_page_of_other_company_is_forbidden(client, meeting):
    client.force_login(factories.make_member(factories.make_company()))
    assert client.get(reverse("meetings:room", args=[meeting.pk])).status_code == 403


def test_room_page_before_opening_says_when(client, event, seller, buyer_company, exhibitor):
    later = factories.make_meeting(
        event, seller, buyer_company, starts_at=timezone.now() + timedelta(hours=3)
    )
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:room", args=[later.pk])).content.decode()
    assert 'id="room-early"' in page
    assert 'id="room"' not in page


def test_room_page_has_no_inline_script(client, meeting, exhibitor):
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:room", args=[meeting.pk])).content.decode()
    assert "<script>" not in page.replace('<script id="room-strings"', "")
    assert " onclick=" not in page


def test_my_meetings_links_the_open_room(client, meeting, exhibitor):
    client.force_login(exhibitor)
    page = client.get(reverse("meetings:mine")).content.decode()
    assert reverse("meetings:room", args=[meeting.pk]) in page


def test_not_happened_from_meeting_page(client, meeting, buyer):
    client.force_login(buyer)
    client.post(reverse("meetings:not_happened", args=[meeting.pk]), {"note": "No sound"})
    assert meeting.outcome.outcome == Outcome.DID_NOT_HAPPEN
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "No sound" in page


def test_log_form_files_with_conversion(client, meeting, exhibitor, seller, organizer, event):
    services.set_exchange_rate(event, "KRW", Decimal("0.00075"), by=organizer)
    product = factories.make_product(seller)
    client.force_login(exhibitor)
    url = reverse("meetings:log", args=[meeting.pk, seller.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "held": "on",
            "products": [product.pk],
            "interest": "high",
            "quantity": "10",
            "currency": "KRW",
            "unit_price": "1000000",
            "consultation_amount": "10000000",
            "expected_contract_amount": "",
            "signed_contract_amount": "",
            "next_step": "sample",
            "note": "Wants a sample",
        },
    )
    assert response.status_code == 302
    log = ConsultationLog.objects.get(meeting=meeting, company=seller)
    assert log.consultation_usd == Decimal("7500.00")
    assert log.unit_price_currency == "KRW"
    assert list(log.products.all()) == [product]


def test_log_form_with_negative_amount_shows_error_and_saves_nothing(
    client, meeting, exhibitor, seller
):
    client.force_login(exhibitor)
    url = reverse("meetings:log", args=[meeting.pk, seller.pk])
    response = client.post(
        url, {"currency": "USD", "consultation_amount": "-5", "next_step": "none"}
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not ConsultationLog.objects.exists()


def test_log_form_for_other_side_is_forbidden(client, meeting, exhibitor, buyer_company):
    client.force_login(exhibitor)
    url = reverse("meetings:log", args=[meeting.pk, buyer_company.pk])
    assert client.get(url).status_code == 403


def test_log_form_by_interpreter_for_buyer(client, meeting, interpreter, buyer_company):
    client.force_login(interpreter)
    url = reverse("meetings:log", args=[meeting.pk, buyer_company.pk])
    client.post(url, {"currency": "USD", "consultation_amount": "300", "next_step": "none"})
    assert ConsultationLog.objects.get(company=buyer_company).by_interpreter


def test_rates_page_sets_rates(client, organizer, event):
    client.force_login(organizer)
    response = client.post(reverse("meetings:rates"), {"krw": "0.00074", "cny": "0.139"})
    assert response.status_code == 302
    assert ExchangeRate.objects.get(currency="CNY").usd_per_unit == Decimal("0.139")


def test_rates_page_for_non_organizer_is_forbidden(client, exhibitor, event):
    client.force_login(exhibitor)
    assert client.get(reverse("meetings:rates")).status_code == 403


def test_control_tower_lists_current_meetings_with_status(client, organizer, meeting, exhibitor):
    services.record_join(meeting, exhibitor)
    client.force_login(organizer)
    page = client.get(reverse("meetings:tower")).content.decode()
    assert f'data-meeting="{meeting.pk}"' in page
    assert 'data-status="one_side"' in page
    assert reverse("meetings:room", args=[meeting.pk]) in page


def test_control_tower_for_non_organizer_is_forbidden(client, exhibitor, event):
    client.force_login(exhibitor)
    assert client.get(reverse("meetings:tower")).status_code == 403


def test_meeting_status_follows_who_is_in(meeting, exhibitor, buyer, interpreter):
    assert services.meeting_status(meeting) == "waiting"
    services.record_join(meeting, exhibitor)
    assert services.meeting_status(meeting) == "one_side"
    services.record_join(meeting, buyer)
    assert services.meeting_status(meeting) == "both_in"
    services.record_join(meeting, interpreter)
    assert services.meeting_status(meeting) == "interpreter_in"


def test_connection_check_result_is_kept_and_shown_to_organizers(
    client, meeting, exhibitor, buyer, organizer
):
    client.force_login(exhibitor)
    assert client.get(reverse("meetings:check")).status_code == 200
    response = client.post(
        reverse("meetings:check"),
        '{"camera": true, "microphone": true, "relay": true}',
        content_type="application/json",
    )
    assert response.json() == {"passed": True}
    bad = client.post(reverse("meetings:check"), "[", content_type="application/json")
    assert bad.status_code == 400
    client.force_login(organizer)
    page = client.get(reverse("meetings:checks")).content.decode()
    assert page.index(buyer.email) < page.index(exhibitor.email)  # not passed comes first
    assert "never tested" in page


def test_extension_offered_only_when_next_slot_is_free(event, seller, buyer_company, buyer):
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=event.slot_minutes - 3)
    meeting = factories.make_meeting(event, seller, buyer_company, starts_at=start)
    assert services.can_extend(meeting)
    factories.make_meeting(
        event, seller, factories.make_company(role="buyer"), starts_at=meeting.ends_at
    )
    assert not services.can_extend(meeting)


def test_extend_keeps_room_open_longer_once(event, seller, buyer_company, buyer):
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=event.slot_minutes - 3)
    meeting = factories.make_meeting(event, seller, buyer_company, starts_at=start)
    services.extend(meeting, by=buyer)
    assert services.room_closes_at(meeting) == meeting.ends_at + timedelta(minutes=5)
    with pytest.raises(services.ValidationError):
        services.extend(meeting, by=buyer)


def png_upload(name: str = "drawing.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_share_file_picture_then_download_by_the_other_side(client, meeting, exhibitor, buyer):
    client.force_login(exhibitor)
    response = client.post(
        reverse("meetings:share_file", args=[meeting.pk]), {"file": png_upload()}
    )
    assert response.status_code == 201
    url = response.json()["url"]
    client.force_login(buyer)
    download = client.get(url)
    assert download.status_code == 200
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(b"".join(download.streaming_content)))
    assert picture.size == (40, 30)
    assert download["Content-Type"] == f"image/{picture.format.lower()}"
    client.force_login(factories.make_member(factories.make_company()))
    assert client.get(url).status_code == 403


def test_share_file_that_is_not_what_its_name_says_is_refused(client, meeting, exhibitor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(exhibitor)
    fake = SimpleUploadedFile(
        "price-list.pdf", b"<html><script>alert(1)</script>", "application/pdf"
    )
    response = client.post(reverse("meetings:share_file", args=[meeting.pk]), {"file": fake})
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not meeting.files.exists()


def test_share_file_by_outsider_or_observer_is_refused(client, meeting, organizer):
    for user in (factories.make_member(factories.make_company()), organizer):
        client.force_login(user)
        response = client.post(
            reverse("meetings:share_file", args=[meeting.pk]), {"file": png_upload()}
        )
        assert response.status_code == 403
    assert not meeting.files.exists()
