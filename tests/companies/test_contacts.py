"""Imported companies get accounts for their contact e-mails, and invitations on request."""

import pytest
from django.core import mail

from bizweek.accounts.models import Role, User
from bizweek.companies.importing import import_companies
from bizweek.companies.models import Company
from bizweek.core.tasks import run_pending_jobs
from tests import factories
from tests.companies.test_importing import csv_file

ROWS = [
    {
        "external_id": "KR-101",
        "role": "seller",
        "name_ko": "창원정밀",
        "country": "KR",
        "city": "Changwon",
        "timezone": "Asia/Seoul",
        "contact_name": "김민수",
        "contact_email": "kim@cw-precision.example",
    },
    {
        "external_id": "TW-101",
        "role": "buyer",
        "name_zh_hant": "台中宏鑫貿易",
        "country": "TW",
        "city": "Taichung",
        "timezone": "Asia/Taipei",
        "contact_email": "Lin@Hongxin.example",
    },
    {
        "external_id": "TH-101",
        "role": "buyer",
        "name_en": "Bangkok Trading",
        "country": "TH",
        "city": "Bangkok",
        "timezone": "Asia/Bangkok",
        "contact_email": "visitor@bkk.example",
    },
    {
        "external_id": "TH-102",
        "role": "buyer",
        "name_en": "No Contact Co",
        "country": "TH",
        "city": "Bangkok",
        "timezone": "Asia/Bangkok",
    },
]


@pytest.mark.django_db
def test_import_creates_member_accounts_in_the_companys_language_or_attaches_existing(settings):
    visitor = factories.make_user(role=Role.VISITOR, email="visitor@bkk.example")
    report = import_companies(csv_file(ROWS))
    assert report.ok, report.errors
    kim = User.objects.get(email="kim@cw-precision.example")
    assert kim.company == Company.objects.get(external_id="KR-101")
    assert (kim.role, kim.language, kim.display_name) == (Role.EXHIBITOR, "ko", "김민수")
    assert not kim.has_usable_password()
    lin = User.objects.get(email__iexact="lin@hongxin.example")
    assert (lin.role, lin.language, lin.timezone) == (Role.BUYER, "zh-hant", "Asia/Taipei")
    visitor.refresh_from_db()
    assert visitor.company.external_id == "TH-101" and visitor.role == Role.BUYER
    assert len(report.accounts.created) == 2 and len(report.accounts.attached) == 1
    assert mail.outbox == []  # no invitation unless asked for
    # Importing the same file again changes nothing.
    again = import_companies(csv_file(ROWS))
    assert again.accounts.created == [] and again.accounts.attached == []
    assert User.objects.filter(company__isnull=False).count() == 3


@pytest.mark.django_db
def test_import_never_moves_a_member_of_another_company():
    other = factories.make_company(name_ko="다른기업")
    member = factories.make_member(other, email="kim@cw-precision.example")
    report = import_companies(csv_file(ROWS[:1]))
    assert report.ok
    member.refresh_from_db()
    assert member.company == other
    assert "kim@cw-precision.example" in str(report.accounts.skipped[0])


@pytest.mark.django_db
def test_dry_run_creates_no_accounts():
    import_companies(csv_file(ROWS), dry_run=True)
    assert not User.objects.filter(email="kim@cw-precision.example").exists()


def test_import_with_invitations_sends_each_a_password_link_in_their_language(
    transactional_db, settings
):
    settings.SITE_URL = "http://fair.example.test"
    factories.make_event(name_ko="창원 비즈위크", name_en="Changwon Bizweek")
    report = import_companies(csv_file(ROWS[:2]), invite=True)
    assert report.ok
    run_pending_jobs()
    by_address = {message.to[0].lower(): message for message in mail.outbox}
    assert set(by_address) == {"kim@cw-precision.example", "lin@hongxin.example"}
    korean = by_address["kim@cw-precision.example"]
    assert "창원 비즈위크" in korean.subject and "창원정밀" in korean.body
    assert "http://fair.example.test/accounts/reset/" in korean.body
    assert "台中宏鑫貿易" in by_address["lin@hongxin.example"].body


def test_organizer_sees_who_has_not_signed_in_and_resends(transactional_db, client):
    import_companies(csv_file(ROWS[:2]))
    organizer = factories.make_organizer()
    client.force_login(organizer)
    page = client.get("/organizer/contacts/").content.decode()
    assert "kim@cw-precision.example" in page and "0 of 2" in page
    kim = User.objects.get(email="kim@cw-precision.example")
    response = client.post("/organizer/contacts/", {"user": kim.pk})
    assert response.status_code == 302
    run_pending_jobs()
    assert [m.to for m in mail.outbox] == [["kim@cw-precision.example"]]
    member = factories.make_member(factories.make_company())
    client.force_login(member)
    assert client.get("/organizer/contacts/").status_code == 403
