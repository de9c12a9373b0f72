import os

import pytest

from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_caches_and_pending_visits():
    # Rows a test created are rolled back; what the site cached about them must go too.
    from django.core.cache import cache

    from bizweek.expo import visits

    cache.clear()
    visits.discard_pending()
    yield
    cache.clear()
    visits.discard_pending()


@pytest.fixture
def taxonomy(transactional_db):
    """Browser and worker tests run in transactions that end with a flush, which also empties
    the HS codes and sectors a data migration loaded: load them again for each test."""
    from bizweek.companies.models import HSCode, Sector
    from bizweek.companies.taxonomy import load_taxonomy

    if not Sector.objects.exists():
        load_taxonomy(HSCode, Sector)


@pytest.fixture
def organizer(db):
    return factories.make_organizer(email="organizer@example.test")


@pytest.fixture
def seller(db):
    return factories.make_company(
        name_ko="창원정밀", name_en="Changwon Precision", hs_codes=["8429"]
    )


@pytest.fixture
def buyer_company(db):
    return factories.make_company(
        role="buyer", name_zh_hans="曼谷华丰贸易", country="TH", timezone="Asia/Bangkok"
    )


@pytest.fixture
def exhibitor(seller):
    return factories.make_member(seller, email="exhibitor@example.test")


@pytest.fixture
def buyer(buyer_company):
    return factories.make_member(buyer_company, email="buyer@example.test", language="zh-hans")


@pytest.fixture
def event(db):
    return factories.make_event()


def pytest_collection_modifyitems(items):
    """Browser tests last: the Playwright driver keeps an event loop open in the test thread
    for the rest of the run, and tests that run their own loop (asyncio.run) must come first."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
