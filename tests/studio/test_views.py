"""Studio pages: schedule, .ics, viewer page, consultation requests, console, HLS, figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bizweek.matching.models import MeetingRequest
from bizweek.studio import services
from bizweek.studio.models import SessionState, StudioLead
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_schedule_lists_shows_with_ceremony_and_calendar_links(client, show):
    response = client.get(reverse("studio:schedule"))
    assert response.status_code == 200
    assert "Oasis live PR 1: Consumer goods" in response.content.decode()
    ics = client.get(reverse("studio:ics", args=[show.pk]))
    assert ics["Content-Type"] == "text/calendar"
    assert b"SUMMARY:Oasis live PR 1: Consumer goods" in ics.content


def test_show_is_on_the_event_agenda_in_every_language(show):
    item = show.agenda_item
    assert item.title_ko == "오아시스 라이브 PR 1: 소비재"
    assert item.kind == "pr_session"
    show.title_en = "Renamed"
    show.save()
    item.refresh_from_db()
    assert item.title_en == "Renamed"


def test_viewer_page_in_korean_for_anonymous_visitor(client, show):
    client.cookies["django_language"] = "ko"
    page = client.get(reverse("studio:watch", args=[show.pk])).content.decode()
    assert "상담 신청" in page and "진행 순서" in page
    assert "로그인하면 채팅하고" in page


def test_consultation_request_from_a_show_is_marked_with_the_show(client, show, buyer_member):
    product = show.rundown.order_by("position").first().products.first()
    client.force_login(buyer_member)
    response = client.post(
        reverse("studio:request", args=[show.pk]),
        {"product_id": product.pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    request = MeetingRequest.objects.get()
    assert request.source == f"studio:{show.pk}"
    assert request.to_company == product.company
    assert request.from_company == buyer_member.company
    lead = StudioLead.objects.get()
    assert (lead.product, lead.rundown_item.position) == (product, 1)
    again = client.post(
        reverse("studio:request", args=[show.pk]),
        {"product_id": product.pk},
        HTTP_ACCEPT="application/json",
    )
    assert again.status_code == 400
    assert "already an open request" in again.json()["detail"]


def test_consultation_request_needs_an_account_and_a_featured_product(client, show, buyer_member):
    product = show.rundown.first().products.first()
    anonymous = client.post(reverse("studio:request", args=[show.pk]), {"product_id": product.pk})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    stranger = factories.make_product(factories.make_company(), name_en="Elsewhere")
    client.force_login(buyer_member)
    response = client.post(
        reverse("studio:request", args=[show.pk]),
        {"product_id": stranger.pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert not MeetingRequest.objects.exists()


def test_console_only_for_host_and_organizers(client, show, host, buyer_member):
    url = reverse("studio:console", args=[show.pk])
    client.force_login(buyer_member)
    assert client.get(url).status_code == 403
    assert client.post(reverse("studio:action", args=[show.pk, "live"])).status_code == 403
    client.force_login(host)
    page = client.get(url).content.decode()
    assert show.stream_key in page
    client.post(reverse("studio:action", args=[show.pk, "key"]))
    show.refresh_from_db()
    assert show.stream_key not in page
    client.post(reverse("studio:action", args=[show.pk, "live"]))
    show.refresh_from_db()
    assert show.state == SessionState.LIVE
    organizer = factories.make_organizer()
    client.force_login(organizer)
    assert client.get(url).status_code == 200


def test_hls_serves_only_the_show_files(client, show, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    folder = tmp_path / "studio" / str(show.pk)
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text("#EXTM3U\nseg000000.ts\n#EXT-X-ENDLIST\n")
    (folder / "seg000000.ts").write_bytes(b"\x47" * 188)
    (tmp_path / "secret_key").write_text("nope")
    show.state = SessionState.LIVE
    show.save()
    playlist = client.get(reverse("studio:hls", args=[show.pk, "index.m3u8"]))
    assert playlist.status_code == 200
    assert "#EXT-X-ENDLIST" not in playlist.content.decode()  # live players keep polling
    assert client.get(reverse("studio:hls", args=[show.pk, "seg000000.ts"])).status_code == 200
    for name in ("..%2F..%2Fsecret_key", "secret_key", "seg1.ts"):
        assert client.get(f"/studio/{show.pk}/hls/{name}").status_code == 404


def test_figures_for_organizers_and_a_featured_company_sees_its_own_part(
    client, show, buyer_member
):
    first, second = show.rundown.order_by("position")
    services.request_consultation(show, first.products.first().pk, by=buyer_member)
    member = factories.make_member(second.company)
    client.force_login(member)
    page = client.get(reverse("studio:figures", args=[show.pk])).content.decode()
    assert "Busan Foods" in page and "Changwon Precision" not in page
    client.force_login(factories.make_organizer())
    page = client.get(reverse("studio:figures", args=[show.pk])).content.decode()
    assert "Busan Foods" in page and "Changwon Precision" in page
    client.force_login(buyer_member)
    assert client.get(reverse("studio:figures", args=[show.pk])).status_code == 403


def test_live_ceremony_leads_the_home_page(client, show):
    from tests.studio.conftest import make_show

    ceremony = make_show(show.event, title_en="Opening ceremony", category="ceremony")
    page = client.get("/").content.decode()
    on_now = page[page.index("agenda-item live") :]
    assert on_now.index("Opening ceremony") < on_now.index("Oasis live PR 1")
    assert reverse("studio:watch", args=[ceremony.pk]) in page


def test_api_lists_broadcasts_with_rundowns(client, show):
    body = client.get("/api/v1/broadcasts").json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["title"] == "Oasis live PR 1: Consumer goods"
    assert [r["company_name"] for r in item["rundown"]] == ["Changwon Precision", "Busan Foods"]
    assert client.get(f"/api/v1/broadcasts/{show.pk}").json()["id"] == show.pk
    assert client.get("/api/v1/broadcasts/999999").status_code == 404


def test_host_edits_the_rundown_outside_the_admin(client, show, host, buyer_member):
    from bizweek.studio.models import RundownItem

    url = f"/studio/{show.pk}/console/rundown/"
    client.force_login(buyer_member)
    assert client.get(url).status_code == 403
    first_item = show.rundown.first().pk
    assert client.post(url, {"action": "remove", "item": first_item}).status_code == 403
    assert show.rundown.count() == 2

    client.force_login(host)
    page = client.get(url).content.decode()
    assert "Changwon Precision" in page and "Busan Foods" in page
    newcomer = factories.make_company(name_en="Ulsan Hydrogen")
    factories.make_product(newcomer, name_en="Fuel cell", position=0)
    factories.make_product(newcomer, name_en="Tank", position=1)
    offered = client.get(url).content.decode()
    assert f'<option value="{newcomer.pk}">Ulsan Hydrogen</option>' in offered
    assert "Changwon Precision</option>" not in offered  # already featured
    client.post(url, {"action": "add", "company": newcomer.pk, "minutes": "7"})
    added = show.rundown.get(company=newcomer)
    assert (added.position, added.planned_minutes) == (3, 7)
    assert [p.name_en for p in added.products.all()] == ["Fuel cell"]  # the first, to pin

    tank = newcomer.products.get(name_en="Tank")
    client.post(url, {"action": "save", "item": added.pk, "minutes": "12", "products": [tank.pk]})
    added.refresh_from_db()
    assert added.planned_minutes == 12 and list(added.products.all()) == [tank]

    client.post(url, {"action": "up", "item": added.pk})
    order = list(show.rundown.order_by("position").values_list("company__name_en", "position"))
    assert order == [("Changwon Precision", 1), ("Ulsan Hydrogen", 2), ("Busan Foods", 3)]
    first = show.rundown.get(position=1)
    client.post(url, {"action": "remove", "item": first.pk})
    order = list(show.rundown.order_by("position").values_list("company__name_en", "position"))
    assert order == [("Ulsan Hydrogen", 1), ("Busan Foods", 2)]
    assert not RundownItem.objects.filter(pk=first.pk).exists()


def test_rundown_edits_refuse_bad_input_with_a_message(client, show, host):
    url = f"/studio/{show.pk}/console/rundown/"
    client.force_login(host)
    buyer = factories.make_company(role="buyer", name_en="Not a seller")
    item = show.rundown.first()
    for data, message in (
        ({"action": "add", "company": buyer.pk, "minutes": "5"}, "approved exhibiting"),
        ({"action": "add", "company": "x; drop", "minutes": "5"}, "approved exhibiting"),
        ({"action": "save", "item": item.pk, "minutes": "0"}, "between 1 and 180"),
        ({"action": "save", "item": "999999", "minutes": "5"}, "does not exist"),
        ({"action": "launch"}, "does not exist"),
    ):
        page = client.post(url, data, follow=True).content.decode()
        assert message in page, data
    assert show.rundown.count() == 2
    item.refresh_from_db()
    assert item.planned_minutes == 10


def _show_data(**fields):
    data = {
        "title_ko": "오아시스 라이브 PR 9: 수소",
        "title_zh_hans": "绿洲直播 9：氢能",
        "title_en": "Oasis live PR 9: Hydrogen",
        "description_en": "Fuel cells from Changwon.",
        "category": "hydrogen",
        "starts_at": "2026-12-10T10:00",
        "ends_at": "2026-12-10T11:30",
        "host": "",
    }
    data.update(fields)
    return data


def test_organizer_schedules_a_show_in_the_event_time_zone(client, host):
    from datetime import UTC, datetime

    from bizweek.studio.models import BroadcastSession

    event = factories.make_event(timezone="Asia/Seoul")
    # The organizer's own zone is not the event's: the form still speaks in the venue's clock.
    organizer = factories.make_organizer(timezone="Europe/Berlin")
    client.force_login(organizer)
    assert 'href="/studio/new/"' in client.get(reverse("studio:schedule")).content.decode()
    page = client.get(reverse("studio:new")).content.decode()
    assert "Asia/Seoul" in page and "Host Kim" in page
    response = client.post(reverse("studio:new"), _show_data(host=host.pk))
    session = BroadcastSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("studio:rundown", args=[session.pk])
    assert (session.event, session.host, session.category) == (event, host, "hydrogen")
    assert session.starts_at == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2026, 12, 10, 2, 30, tzinfo=UTC)
    assert session.title_zh_hant == "綠洲直播 9：氫能"  # derived from Simplified Chinese
    assert session.agenda_item.title_ko == "오아시스 라이브 PR 9: 수소"
    assert "Oasis live PR 9: Hydrogen" in client.get(reverse("studio:schedule")).content.decode()
    # Editing shows the same wall-clock times back and goes to the console.
    edit = client.get(reverse("studio:edit", args=[session.pk])).content.decode()
    assert 'value="2026-12-10T10:00"' in edit
    response = client.post(
        reverse("studio:edit", args=[session.pk]),
        _show_data(host=host.pk, title_en="Hydrogen hour", ends_at="2026-12-10T12:00"),
    )
    assert response["Location"] == reverse("studio:console", args=[session.pk])
    session.refresh_from_db()
    assert (session.title_en, session.ends_at.hour) == ("Hydrogen hour", 3)
    console = client.get(reverse("studio:console", args=[session.pk])).content.decode()
    assert reverse("studio:edit", args=[session.pk]) in console


def test_only_organizers_schedule_or_edit_shows(client, show, host, buyer_member):
    from bizweek.studio.models import BroadcastSession

    for user in (host, buyer_member):
        client.force_login(user)
        assert client.get(reverse("studio:new")).status_code == 403
        assert client.post(reverse("studio:new"), _show_data()).status_code == 403
        edit = reverse("studio:edit", args=[show.pk])
        assert client.post(edit, _show_data(title_en="Hijacked")).status_code == 403
        assert 'href="/studio/new/"' not in client.get(reverse("studio:schedule")).content.decode()
    host_console = client.get(reverse("studio:console", args=[show.pk]))
    assert reverse("studio:edit", args=[show.pk]) not in host_console.content.decode()
    client.logout()
    assert client.get(reverse("studio:new")).status_code == 302
    assert BroadcastSession.objects.get().title_en == "Oasis live PR 1: Consumer goods"


def test_bad_times_and_missing_title_get_a_message_in_the_users_language(client):
    from bizweek.studio.models import BroadcastSession

    factories.make_event()
    client.force_login(factories.make_organizer())
    page = client.post(
        reverse("studio:new"), _show_data(ends_at="2026-12-10T09:00")
    ).content.decode()
    assert "The show must end after it starts." in page
    page = client.post(
        reverse("studio:new"), _show_data(ends_at="2026-12-11T10:00")
    ).content.decode()
    assert "A show may last at most 12 hours." in page
    client.cookies["django_language"] = "ko"
    page = client.post(
        reverse("studio:new"),
        _show_data(title_ko="", title_zh_hans="", title_en="", starts_at="tomorrow"),
    ).content.decode()
    assert "한 가지 이상의 언어로" in page  # the title
    assert "올바른 날짜" in page  # Django's own message for an unreadable date and time
    assert not BroadcastSession.objects.exists()
