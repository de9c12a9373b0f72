import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bizweek.companies.models import Company, CompanyStatus
from tests import factories
from tests.companies.test_importing import GOOD_ROWS, csv_file
from tests.importpage import import_on_page

pytestmark = pytest.mark.django_db


def test_registration_page_creates_pending_company_signed_in_after_confirming(client, event):
    response = client.post(
        reverse("companies:register"),
        {
            "role": "seller",
            "name_ko": "세진하이드로텍",
            "country": "KR",
            "city": "Changwon",
            "timezone": "Asia/Seoul",
            "sectors": [],
            "hs_codes": "2804 8501",
            "display_name": "김세진",
            "email": "sejin@example.test",
            "language": "ko",
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response.url == reverse("companies:registered")
    company = Company.objects.get(name_ko="세진하이드로텍")
    assert company.status == CompanyStatus.PENDING
    assert client.get(reverse("accounts:dashboard")).status_code == 302  # not signed in yet
    link = re.search(r"/accounts/confirm/\S+/", mail.outbox[-1].body).group(0)
    assert client.get(link).url == reverse("accounts:dashboard")
    page = client.get(reverse("accounts:dashboard"))
    assert "세진하이드로텍" in page.content.decode()


def test_registration_with_unknown_hs_code_and_no_name_shows_errors(client, event):
    response = client.post(
        reverse("companies:register"),
        {"role": "buyer", "country": "TH", "timezone": "Asia/Bangkok", "hs_codes": "8429 1234"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Unknown HS code(s): 1234" in errors["hs_codes"][0]
    assert "at least one language" in errors["name_ko"][0]
    assert Company.objects.count() == 0


def test_registration_closed_outside_the_registration_window(client):
    from datetime import timedelta

    from django.utils import timezone

    factories.make_event(registration_closes_at=timezone.now() - timedelta(hours=1))
    response = client.get(reverse("companies:register"))
    assert "Registration for this event is closed." in response.content.decode()


def test_exhibitor_gets_403_on_another_companys_edit_page_and_nothing_changes(
    client, exhibitor, buyer_company
):
    client.force_login(exhibitor)
    url = reverse("companies:edit", args=[buyer_company.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"name_zh_hans": "hacked", "country": "KR", "timezone": "UTC"})
    assert response.status_code == 403
    buyer_company.refresh_from_db()
    assert buyer_company.name_zh_hans == "曼谷华丰贸易"


def test_member_edits_own_company_profile(client, exhibitor, seller):
    client.force_login(exhibitor)
    response = client.post(
        reverse("companies:edit", args=[seller.pk]),
        {
            "name_ko": "창원정밀",
            "name_en": "Changwon Precision Co., Ltd.",
            "country": "KR",
            "city": "Changwon",
            "timezone": "Asia/Seoul",
            "hs_codes": "8429",
        },
    )
    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.name_en == "Changwon Precision Co., Ltd."


def test_buyer_cannot_open_the_approval_queue_or_approve(client, buyer, seller):
    seller.status = CompanyStatus.PENDING
    seller.save()
    client.force_login(buyer)
    assert client.get(reverse("companies:review_queue")).status_code == 403
    assert client.post(reverse("companies:approve", args=[seller.pk])).status_code == 403
    seller.refresh_from_db()
    assert seller.status == CompanyStatus.PENDING


def test_organizer_approves_from_the_queue(client, organizer, seller):
    seller.status = CompanyStatus.PENDING
    seller.save()
    client.force_login(organizer)
    assert seller.name_en in client.get(reverse("companies:review_queue")).content.decode()
    client.post(reverse("companies:approve", args=[seller.pk]))
    seller.refresh_from_db()
    assert seller.status == CompanyStatus.APPROVED


def test_pending_company_page_is_hidden_from_the_public(client):
    pending = factories.make_company(status=CompanyStatus.PENDING)
    assert client.get(reverse("companies:detail", args=[pending.pk])).status_code == 403


def test_contact_details_only_for_signed_in_users(client, buyer, seller):
    seller.contact_email = "sales@changwon.example"
    seller.save()
    url = reverse("expo:booth", args=[seller.pk])
    assert "sales@changwon.example" not in client.get(url).content.decode()
    client.force_login(buyer)
    assert "sales@changwon.example" in client.get(url).content.decode()


def test_organizer_import_page_shows_the_same_report_and_writes_nothing_on_error(client, organizer):
    client.force_login(organizer)
    bad = [GOOD_ROWS[0], dict(GOOD_ROWS[1], timezone="Mars/Olympus")]
    upload = SimpleUploadedFile("companies.csv", csv_file(bad).getvalue(), "text/csv")
    html = import_on_page(client, upload)
    assert "Unknown time zone “Mars/Olympus”" in html
    assert "nothing was written" in html
    assert Company.objects.count() == 0
    upload = SimpleUploadedFile("companies.csv", csv_file(GOOD_ROWS).getvalue(), "text/csv")
    html = import_on_page(client, upload)
    assert "Imported 2 row(s): 2 created, 0 updated." in html
    assert Company.objects.count() == 2


def test_organizer_imports_products_from_the_same_page(client, organizer, seller):
    client.force_login(organizer)
    data = (
        "company_external_id,external_id,name_ko,hs_code,price_min,price_max,currency\n"
        f"{seller.external_id},P1,미니 굴착기,842952,100,90,USD\n"
    ).encode()
    upload = SimpleUploadedFile("products.csv", data, "text/csv")
    html = import_on_page(client, upload, kind="products")
    assert "nothing was written" in html and "price_min" in html
    assert not seller.products.exists()


def test_exhibitor_cannot_import(client, exhibitor):
    client.force_login(exhibitor)
    upload = SimpleUploadedFile("c.csv", csv_file(GOOD_ROWS).getvalue(), "text/csv")
    response = client.post(reverse("companies:import"), {"kind": "companies", "file": upload})
    assert response.status_code == 403
    assert Company.objects.count() == 1  # only the exhibitor's own company


def test_company_directory_is_the_hall_with_both_roles(client):
    response = client.get(reverse("companies:list"), {"sector": "food"})
    assert response.status_code == 302
    assert response.url.startswith("/hall/?") and "role=all" in response.url
