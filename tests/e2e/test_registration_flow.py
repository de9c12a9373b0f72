"""A company registers, confirms its address, the organizer approves it, the company logs in
and sees its profile."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_company_registers_organizer_approves_company_sees_profile(new_page):
    factories.make_event()
    organizer = factories.make_organizer(email="org@example.test")

    # 1. A Malaysian buyer registers, browsing in Simplified Chinese.
    page = new_page(locale="zh-CN")
    page.goto("/register/?role=buyer")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_name_zh_hans", "吉隆坡宏达进出口有限公司")
    page.fill("#id_name_en", "Hongda Import & Export")
    page.select_option("#id_country", "MY")
    page.fill("#id_city", "Kuala Lumpur")
    page.select_option("#id_timezone", "Asia/Kuala_Lumpur")
    page.locator("input[name=sectors]").first.check()
    page.fill("#id_hs_codes", "3304 1902")
    page.fill("#id_display_name", "林志明")
    page.fill("#id_email", "lim@hongda.example")
    page.select_option("#id_language", "zh-hans")
    page.fill("#id_password1", factories.PASSWORD)
    page.fill("#id_password2", factories.PASSWORD)
    page.click("button[type=submit].primary")
    # The answer is "check your inbox" (the same whether or not the address had an account);
    # the link in the mail confirms the address and signs the registrant in.
    page.wait_for_url(re.compile(r"/register/sent/"))
    assert page.locator("#registration-sent h1").inner_text() == "请查看您的收件箱"
    confirmation = [m for m in mail.outbox if m.to == ["lim@hongda.example"]][-1]
    page.goto(re.search(r"/accounts/confirm/\S+/", confirmation.body).group(0))
    page.wait_for_url(re.compile(r"/accounts/me/"))
    assert page.locator("[data-status=pending]").is_visible()
    screenshot(page, "registered-pending-zh")
    page.click("form[action$='/logout/'] button")

    # 2. The organizer approves it from the queue.
    org = new_page(locale="ko-KR")
    org.goto("/accounts/login/")
    org.fill("#id_username", organizer.email)
    org.fill("#id_password", factories.PASSWORD)
    org.click("button[type=submit].primary")
    org.goto("/organizer/review/")
    card = org.locator("article.review-item", has_text="吉隆坡宏达进出口有限公司")
    card.locator("form[action$='/approve/'] button").click()
    org.wait_for_load_state()
    assert org.locator("article.review-item", has_text="吉隆坡宏达进出口有限公司").count() == 0
    approved_mail = [m for m in mail.outbox if m.to == ["lim@hongda.example"]][-1]
    assert "吉隆坡宏达进出口有限公司" in approved_mail.subject

    # 3. The company logs in again and sees its approved profile.
    page.goto("/accounts/login/")
    page.fill("#id_username", "lim@hongda.example")
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/accounts/me/"))
    assert page.locator("[data-status=approved]").is_visible()
    page.locator(".actions a").first.click()
    assert page.locator("h1").inner_text() == "吉隆坡宏达进出口有限公司"
    assert "吉隆坡" in page.content()  # the typed city, in the reader's language (CLDR)
    screenshot(page, "approved-profile-zh")
