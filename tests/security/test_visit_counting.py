"""Finding 9: anonymous visitors counted without creating sessions; robots ignored."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from bizweek.expo import visits
from bizweek.expo.models import BoothVisit

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


def _visit(seller, user_agent=BROWSER, address="198.51.100.7"):
    response = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address).get(f"/booths/{seller.pk}/")
    assert response.status_code == 200
    return response


def test_cookieless_page_views_create_no_sessions_and_count_one_visitor(settings, seller):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0
    for _view in range(5):
        response = _visit(seller)
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    visits.flush()
    assert Session.objects.count() == 0
    row = BoothVisit.objects.get(company=seller)
    assert row.views == 5


def test_different_browsers_count_as_different_visitors(settings, seller):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0
    _visit(seller, address="198.51.100.7")
    _visit(seller, address="198.51.100.8")
    visits.flush()
    assert BoothVisit.objects.filter(company=seller).count() == 2


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_robots_are_not_counted(settings, seller, user_agent):
    settings.BIZWEEK_VISIT_BATCH_SECONDS = 0
    _visit(seller, user_agent=user_agent)
    visits.flush()
    assert not BoothVisit.objects.filter(company=seller).exists()
