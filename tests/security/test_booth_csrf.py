"""Finding 8: the cached booth page gives a visitor's CSRF token only to the template's fields."""

import pytest
from django.test import Client

from bizweek.expo.booth_cache import CSRF_PLACEHOLDER
from tests import factories

pytestmark = pytest.mark.django_db


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_csrf_token_not_substituted_inside_exhibitor_text(seller):
    bait = f"https://evil.example/?t={CSRF_PLACEHOLDER}"
    factories.make_product(seller, name_en="Pump", description_en=f"Details at {bait}")
    seller.description_en = f'<a href="{bait}">more</a> name="csrfmiddlewaretoken" value="x"'
    seller.save()
    for _attempt in range(2):  # rendered, then served from the cache
        visitor = Client()
        html = visitor.get(f"/booths/{seller.pk}/").content.decode()
        token = _token(html)
        assert token and CSRF_PLACEHOLDER not in token
        assert html.count(token) == html.count('name="csrfmiddlewaretoken"')
        assert "evil.example/?t=" + token not in html
