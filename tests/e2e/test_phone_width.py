"""On a 390 px phone every page of every role fits the screen and the header folds away."""

from __future__ import annotations

import pytest

from tests.e2e.test_hall_flow import login
from tests.pages import build_site

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = 390


def test_every_page_fits_a_390px_phone_for_every_role(new_page):
    site = build_site()
    too_wide = []
    for role, (user, urls) in site.items():
        page = new_page(locale="ko-KR", width=PHONE)
        if user is not None:
            login(page, user.email)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, (role, url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE:
                too_wide.append((role, url, width))
            header = page.locator(".site-header").bounding_box()
            assert header["height"] < 100, (role, url, header["height"])
    assert too_wide == []


def test_phone_menu_opens_the_header_links(new_page):
    site = build_site()
    user, _urls = site["exhibitor"]
    page = new_page(locale="ko-KR", width=PHONE)
    login(page, user.email)
    nav_link = page.locator("#main-nav a[href='/meetings/']")
    assert not nav_link.is_visible()
    page.click(".menu-toggle")
    assert nav_link.is_visible()
    nav_link.click()
    page.wait_for_url("**/meetings/")


def test_desktop_header_shows_links_without_a_menu_button(new_page):
    page = new_page(width=1280)
    build_site()
    page.goto("/")
    assert not page.locator(".menu-toggle").is_visible()
    assert page.locator("#main-nav a[href='/hall/']").is_visible()
