import pytest
from django.urls import reverse

from bizweek.expo import visits as booth_visits
from bizweek.expo.models import BoothVisit, Product
from bizweek.expo.services import booth_for
from tests import factories

pytestmark = pytest.mark.django_db


def product_data(**overrides):
    data = {"name_ko": "미니 굴착기", "hs_code": "842952", "currency": "USD", "is_published": "on"}
    data.update(overrides)
    return data


def test_exhibitor_adds_edits_and_reorders_products(client, exhibitor, seller):
    client.force_login(exhibitor)
    new = reverse("expo:product_new", args=[seller.pk])
    client.post(new, product_data(name_ko="첫 제품", price_min="10", price_max="20"))
    client.post(new, product_data(name_ko="둘째 제품"))
    first, second = Product.objects.order_by("position")
    assert (first.name_ko, first.price_max, first.hs_code_id) == ("첫 제품", 20, "842952")
    client.post(reverse("expo:product_move", args=[seller.pk, second.pk]), {"direction": "up"})
    assert list(Product.objects.order_by("position").values_list("name_ko", flat=True)) == [
        "둘째 제품",
        "첫 제품",
    ]


def test_product_price_min_above_max_is_refused(client, exhibitor, seller):
    client.force_login(exhibitor)
    response = client.post(
        reverse("expo:product_new", args=[seller.pk]), product_data(price_min="50", price_max="5")
    )
    assert "The highest price must not be below the lowest price." in response.content.decode()
    assert not Product.objects.exists()


def test_product_unknown_hs_code_and_currency_are_refused(client, exhibitor, seller):
    client.force_login(exhibitor)
    response = client.post(
        reverse("expo:product_new", args=[seller.pk]), product_data(hs_code="1234", currency="XYZ")
    )
    errors = response.context["form"].errors
    assert "hs_code" in errors and "currency" in errors
    assert not Product.objects.exists()


def test_product_description_is_sanitised(client, exhibitor, seller):
    client.force_login(exhibitor)
    client.post(
        reverse("expo:product_new", args=[seller.pk]),
        product_data(description_ko='<p onclick="x()">좋은 <script>alert(1)</script>제품</p>'),
    )
    product = Product.objects.get()
    page = client.get(reverse("expo:product", args=[product.pk])).content.decode()
    assert "<script>alert(1)" not in page and "onclick" not in page
    assert "좋은" in page


def test_exhibitor_cannot_touch_another_companys_booth(client, exhibitor):
    other = factories.make_company(name_ko="남의회사")
    product = factories.make_product(other, name_ko="남의 제품")
    client.force_login(exhibitor)
    assert client.get(reverse("expo:booth_edit", args=[other.pk])).status_code == 403
    response = client.post(
        reverse("expo:product_edit", args=[other.pk, product.pk]), product_data(name_ko="해킹")
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("expo:product_delete", args=[other.pk, product.pk])).status_code == 403
    )
    # The product's own company id in the URL with another company's product is a 404.
    response = client.post(reverse("expo:product_delete", args=[exhibitor.company_id, product.pk]))
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.name_ko == "남의 제품"


def test_unpublished_booth_is_hidden_but_previewable_by_its_members(client, exhibitor, seller):
    draft = factories.make_product(seller, name_ko="출시 예정", is_published=False)
    booth = booth_for(seller)
    booth.is_published = False
    booth.save()
    url = reverse("expo:booth", args=[seller.pk])
    assert client.get(url).status_code == 403
    assert seller.pk not in [c["company"].pk for c in client.get("/hall/").context["cards"]]
    client.force_login(exhibitor)
    assert "출시 예정" not in client.get(url).content.decode()
    assert "출시 예정" in client.get(url + "?preview=1").content.decode()
    assert draft.pk


def test_booth_visits_count_once_per_visitor_per_day_by_country_and_role(client, seller, buyer):
    url = reverse("expo:booth", args=[seller.pk])
    client.force_login(buyer)
    client.get(url)
    client.get(url)  # a reload is not a second visitor
    client.logout()
    client.get(url)
    booth_visits.flush()
    visits = BoothVisit.objects.filter(company=seller)
    assert visits.count() == 2
    signed_in = visits.get(user=buyer)
    assert (signed_in.country, signed_in.role, signed_in.views) == ("TH", "buyer", 2)


def test_own_members_do_not_count_as_visitors(client, exhibitor, seller):
    client.force_login(exhibitor)
    client.get(reverse("expo:booth", args=[seller.pk]))
    booth_visits.flush()
    assert booth_visits.pending_count() == 0
    assert not BoothVisit.objects.exists()


def test_visitor_figures_for_own_booth_only_and_all_for_organizers(
    client, exhibitor, seller, buyer, organizer
):
    other = factories.make_company()
    client.force_login(buyer)
    client.get(reverse("expo:booth", args=[seller.pk]))
    client.force_login(exhibitor)
    page = client.get(reverse("expo:booth_stats", args=[seller.pk]))
    assert page.context["stats"]["unique"] == 1
    assert page.context["stats"]["by_country"] == [{"country": "TH", "n": 1}]
    assert client.get(reverse("expo:booth_stats", args=[other.pk])).status_code == 403
    assert client.get(reverse("expo:all_stats")).status_code == 403
    client.force_login(organizer)
    assert client.get(reverse("expo:all_stats")).context["stats"]["unique"] == 1


def test_booth_request_button_leads_to_the_meeting_request_form(client, buyer, seller):
    client.force_login(buyer)
    html = client.get(reverse("expo:booth", args=[seller.pk])).content.decode()
    assert reverse("matching:new_request", args=[seller.pk]) in html


def test_booth_share_metadata_and_qr_code(client, seller):
    factories.make_product(seller, name_ko="미니 굴착기")
    html = client.get(reverse("expo:booth", args=[seller.pk])).content.decode()
    assert '<meta property="og:title" content="Changwon Precision">' in html
    assert f'<meta property="og:url" content="http://testserver/booths/{seller.pk}/">' in html
    svg = client.get(reverse("expo:qr", args=["booth", seller.pk]))
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg") and b'xmlns="http://www.w3.org/2000/svg"' in svg.content


def test_buyer_profile_page_shows_wants_and_markets(client, buyer_company):
    buyer_company.markets = ["TH", "VN"]
    buyer_company.company_size = "10-49"
    buyer_company.save()
    buyer_company.hs_codes.set(["3304"])
    html = client.get(reverse("companies:detail", args=[buyer_company.pk])).content.decode()
    assert "Looking for (HS codes)" in html and "3304" in html
    assert "Vietnam" in html or "Viet Nam" in html
    assert "10–49 employees" in html


def test_seller_company_page_leads_to_its_booth(client, seller):
    response = client.get(reverse("companies:detail", args=[seller.pk]))
    assert response.status_code == 302
    assert response.url == reverse("expo:booth", args=[seller.pk])


def test_hall_filters_by_sector_city_and_featured_first(client):
    plain = factories.make_company(name_ko="보통", sectors=["machinery"], city="Busan")
    star = factories.make_company(name_ko="추천", sectors=["machinery"], city="Changwon")
    factories.make_company(name_ko="화장품", sectors=["cosmetics"])
    booth = booth_for(star)
    booth.featured = True
    booth.save()
    cards = client.get("/hall/machinery/").context["cards"]
    assert [c["company"].pk for c in cards] == [star.pk, plain.pk]
    cards = client.get("/hall/", {"city": "busan"}).context["cards"]
    assert [c["company"].pk for c in cards] == [plain.pk]
    halls = {h["sector"].code: h["count"] for h in client.get("/hall/").context["halls"]}
    assert (halls["machinery"], halls["cosmetics"], halls["food"]) == (2, 1, 0)
