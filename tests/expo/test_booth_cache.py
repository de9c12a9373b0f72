"""Booth pages come from the cache (expo/booth_cache.py), yet every change shows at once."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bizweek.companies.models import Company, CompanyStatus
from bizweek.companies.signals import companies_changed
from bizweek.expo import services
from bizweek.expo import visits as booth_visits
from bizweek.expo.booth_cache import CSRF_PLACEHOLDER
from bizweek.expo.models import BoothVisit, Brochure, Product, ProductPhoto
from tests import factories

pytestmark = pytest.mark.django_db

LANGUAGES = ("ko", "zh-hans", "zh-hant", "en")


def visitor(language: str = "en") -> Client:
    """An anonymous visitor reading in one language (the language cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page(client: Client, company: Company) -> str:
    response = client.get(reverse("expo:booth", args=[company.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_booth_cache_product_edit_shows_at_once_in_every_language(client, exhibitor, seller):
    product = factories.make_product(
        seller, name_ko="구형 굴착기", name_zh_hans="旧挖掘机", name_en="Old excavator"
    )
    readers = {lang: visitor(lang) for lang in LANGUAGES}
    for reader in readers.values():  # fills the cache in every language
        page(reader, seller)
    assert "舊挖掘機" in page(readers["zh-hant"], seller)  # derived, and served from the cache

    client.force_login(exhibitor)
    client.post(
        reverse("expo:product_edit", args=[seller.pk, product.pk]),
        {
            "name_ko": "신형 굴착기",
            "name_zh_hans": "新挖掘机",
            "name_en": "New excavator",
            "hs_code": "842952",
            "currency": "USD",
            "is_published": "on",
        },
    )
    expected = {
        "ko": "신형 굴착기",
        "zh-hans": "新挖掘机",
        "zh-hant": "新挖掘機",
        "en": "New excavator",
    }
    for lang, reader in readers.items():
        html = page(reader, seller)
        assert expected[lang] in html
        assert "구형 굴착기" not in html and "Old excavator" not in html
    assert "New excavator" in page(client, seller)  # the signed-in member's view too


def test_booth_cache_changes_outside_the_editor_show_at_once(seller):
    """The admin, imports and reordering write without the editor's services."""
    first = factories.make_product(seller, name_en="First valve")
    second = factories.make_product(seller, name_en="Second valve")
    reader = visitor()
    html = page(reader, seller)
    assert html.index("First valve") < html.index("Second valve")

    services.move_product(second, -1, by=factories.make_organizer())  # update(), no signal
    html = page(reader, seller)
    assert html.index("Second valve") < html.index("First valve")

    Brochure.objects.create(company=seller, title="Catalogue 2027", file="brochures/x.pdf")
    assert "Catalogue 2027" in page(reader, seller)

    ProductPhoto.objects.create(
        product=first, image="products/valve.jpg", thumbnail="products/thumbs/valve.jpg"
    )
    assert "products/thumbs/valve.jpg" in page(reader, seller)

    Product.objects.filter(pk=first.pk).delete()  # as the admin's bulk delete does
    assert "First valve" not in page(reader, seller)

    # An import: bulk writes that leave updated_at alone, then the signal.
    Company.objects.filter(pk=seller.pk).update(name_en="Changwon Precision Machinery")
    companies_changed.send(Company, company_ids=[seller.pk])
    assert "Changwon Precision Machinery" in page(reader, seller)


def test_booth_cache_hidden_booth_is_never_served_from_the_cache(client, exhibitor, seller):
    factories.make_product(seller, name_en="Hydrogen valve")
    reader = visitor()
    assert "Hydrogen valve" in page(reader, seller)

    client.force_login(exhibitor)
    client.post(reverse("expo:booth_publish", args=[seller.pk]), {"published": "0"})
    url = reverse("expo:booth", args=[seller.pk])
    assert reader.get(url).status_code == 403
    assert visitor("ko").get(url).status_code == 403

    client.post(reverse("expo:booth_publish", args=[seller.pk]), {"published": "1"})
    assert "Hydrogen valve" in page(reader, seller)
    # A status change written without any signal is seen too: visibility is read fresh.
    Company.objects.filter(pk=seller.pk).update(status=CompanyStatus.REJECTED)
    assert reader.get(url).status_code == 403


def test_booth_cache_keeps_each_visitors_own_parts(client, buyer, seller):
    seller.contact_email = "sales@changwon.example"
    seller.save()
    anonymous = visitor()
    first = page(anonymous, seller)
    again = page(anonymous, seller)  # from the cache
    other = page(visitor(), seller)
    for html in (first, again, other):
        assert CSRF_PLACEHOLDER not in html
        assert "sales@changwon.example" not in html  # contact details are for signed-in users
        assert "Log in to see contact details" in html

    def token(html: str) -> str:
        return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    assert token(first) != token(other)  # each visitor's own (masked) token

    client.force_login(buyer)
    signed_in = page(client, seller)
    assert "sales@changwon.example" in signed_in
    assert reverse("matching:new_request", args=[seller.pk]) in signed_in
    assert "Log in to see contact details" not in signed_in
    assert "sales@changwon.example" not in page(anonymous, seller)


def test_booth_cache_visits_stay_unique_per_visitor_and_day(client, buyer, seller):
    readers = [visitor(), visitor("ko"), visitor("zh-hans")]
    for number, reader in enumerate(readers):
        # Cookie-less visitors are told apart by address and browser (no session is made).
        reader.defaults["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
        page(reader, seller)
        page(reader, seller)  # a reload, served from the cache, still counts as a view
    client.force_login(buyer)
    page(client, seller)
    page(client, seller)
    booth_visits.flush()
    visits = BoothVisit.objects.filter(company=seller)
    assert visits.count() == 4
    assert sum(visits.values_list("views", flat=True)) == 8
    assert sorted(visits.values_list("role", "country")) == [
        ("buyer", "TH"),
        ("visitor", ""),
        ("visitor", ""),
        ("visitor", ""),
    ]
