"""Findings 1, 3 and 7 of issue 14: who reads contacts, one visibility rule, bounded paging."""

import pytest

from bizweek.accounts.models import ApiToken
from bizweek.companies.models import CompanyStatus
from bizweek.expo.models import Booth
from tests import factories

pytestmark = pytest.mark.django_db


def _bearer(user):
    _token, raw = ApiToken.issue(user, "probe")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def listed(db):
    return factories.make_company(
        contact_name="Kim Contact", contact_email="kim@listed.test", contact_phone="+82 55 1234"
    )


def test_contacts_hidden_from_a_member_of_a_pending_company(client, listed):
    pending_member = factories.make_member(factories.make_company(status=CompanyStatus.PENDING))
    data = client.get(f"/api/v1/companies/{listed.pk}", headers=_bearer(pending_member)).json()
    assert data["contact_email"] is None and data["contact_phone"] is None
    client.force_login(pending_member)
    page = client.get(f"/booths/{listed.pk}/").content.decode()
    assert "kim@listed.test" not in page
    assert "members of approved companies" in page


def test_contacts_hidden_from_a_plain_visitor_account(client, listed):
    client.force_login(factories.make_user())
    assert "kim@listed.test" not in client.get(f"/booths/{listed.pk}/").content.decode()
    assert client.get(f"/api/v1/companies/{listed.pk}").json()["contact_email"] is None


def test_contacts_shown_to_approved_buyers_and_organizers(client, listed, buyer, organizer):
    for user in (buyer, organizer):
        data = client.get(f"/api/v1/companies/{listed.pk}", headers=_bearer(user)).json()
        assert data["contact_email"] == "kim@listed.test"
    client.force_login(buyer)
    assert "kim@listed.test" in client.get(f"/booths/{listed.pk}/").content.decode()


def test_contact_bulk_reading_is_throttled(client, settings, buyer):
    settings.BIZWEEK_CONTACT_READS = "3/300"
    companies = [factories.make_company(contact_email=f"c{i}@x.test") for i in range(4)]
    headers = _bearer(buyer)
    statuses = [
        client.get(f"/api/v1/companies/{c.pk}", headers=headers).status_code for c in companies
    ]
    assert statuses == [200, 200, 200, 429]
    body = client.get(f"/api/v1/companies/{companies[0].pk}", headers=headers).json()
    assert body["code"] == "throttled" and "try again" in body["detail"]


def test_unpublished_booth_is_hidden_from_the_api_like_the_page(client, seller, buyer):
    Booth.objects.create(company=seller, is_published=False)
    assert client.get(f"/booths/{seller.pk}/").status_code == 403
    assert client.get(f"/api/v1/companies/{seller.pk}").status_code == 404
    ids = [item["id"] for item in client.get("/api/v1/companies").json()["items"]]
    assert seller.pk not in ids
    # the company's own members still see it
    member = factories.make_member(seller)
    assert client.get(f"/api/v1/companies/{seller.pk}", headers=_bearer(member)).status_code == 200


def test_draft_products_are_hidden_from_the_api_like_the_page(client, seller):
    draft = factories.make_product(
        seller, name_en="Secret prototype", price_min="99", is_published=False
    )
    factories.make_product(seller, name_en="Public pump")
    assert client.get(f"/products/{draft.pk}/").status_code == 403
    products = client.get(f"/api/v1/companies/{seller.pk}").json()["products"]
    names = [p["name"]["en"] for p in products]
    assert names == ["Public pump"]
    member = factories.make_member(seller)
    data = client.get(f"/api/v1/companies/{seller.pk}", headers=_bearer(member)).json()
    assert "Secret prototype" in [p["name"]["en"] for p in data["products"]]


def test_search_command_skips_unpublished_booths(seller):
    from io import StringIO

    from django.core.management import call_command

    Booth.objects.create(company=seller, is_published=False)
    out = StringIO()
    call_command("search", "Changwon", "--json", stdout=out)
    assert f'"id": {seller.pk},' not in out.getvalue()


@pytest.mark.parametrize(
    "params",
    [
        {"offset": 2**64},
        {"limit": 2**64},
        {"limit": 100000},
        {"offset": -1},
        {"limit": 0},
    ],
)
def test_api_paging_out_of_range_is_422(client, seller, params):
    response = client.get("/api/v1/companies", params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_api_company_id_beyond_64_bits_is_4xx(client):
    assert client.get(f"/api/v1/companies/{2**64}").status_code in (404, 422)
