import pytest

from bizweek.accounts.models import ApiToken
from bizweek.companies.models import CompanyStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_list_companies_is_paginated_and_filtered(client, seller, buyer_company):
    factories.make_company(status=CompanyStatus.PENDING, name_ko="대기중")
    data = client.get("/api/v1/companies").json()
    assert data["count"] == 2  # the pending one is not public
    assert {item["id"] for item in data["items"]} == {seller.pk, buyer_company.pk}
    data = client.get("/api/v1/companies", {"role": "buyer", "country": "TH"}).json()
    assert [item["id"] for item in data["items"]] == [buyer_company.pk]
    data = client.get("/api/v1/companies", {"hs": "84"}).json()
    assert [item["hs_codes"] for item in data["items"]] == [["8429"]]
    page = client.get("/api/v1/companies", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1


def test_list_companies_name_follows_lang(client, seller):
    item = client.get("/api/v1/companies", {"lang": "ko"}).json()["items"][0]
    assert item["name"] == "창원정밀"
    item = client.get("/api/v1/companies", {"lang": "en"}).json()["items"][0]
    assert item["name"] == "Changwon Precision"
    assert item["names"]["ko"] == "창원정밀"


def test_bad_filter_is_a_422_with_detail_and_code(client):
    response = client.get("/api/v1/companies", {"hs": "12a"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]


def test_company_detail_and_404_shape(client, seller):
    factories.make_product(seller, name_ko="미니 굴착기", hs_code_id="842952", price_min="10")
    data = client.get(f"/api/v1/companies/{seller.pk}").json()
    assert data["products"][0]["name"]["ko"] == "미니 굴착기"
    assert data["products"][0]["hs_code"] == "842952"
    assert data["contact_email"] is None  # anonymous readers get no contact details
    missing = client.get("/api/v1/companies/999999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found.", "code": "not_found"}


def test_pending_company_detail_is_404_for_strangers_but_visible_to_members(client):
    pending = factories.make_company(status=CompanyStatus.PENDING)
    assert client.get(f"/api/v1/companies/{pending.pk}").status_code == 404
    client.force_login(factories.make_member(pending))
    assert client.get(f"/api/v1/companies/{pending.pk}").status_code == 200


def test_token_authentication_and_bad_token(client, organizer):
    pending = factories.make_company(status=CompanyStatus.PENDING)
    _token, raw = ApiToken.issue(organizer, "script")
    response = client.get("/api/v1/companies", headers={"Authorization": f"Bearer {raw}"})
    assert pending.pk in [item["id"] for item in response.json()["items"]]
    bad = client.get("/api/v1/companies", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "not_authenticated"


def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/companies" in schema["paths"]
    assert "/api/v1/companies/{company_id}" in schema["paths"]
