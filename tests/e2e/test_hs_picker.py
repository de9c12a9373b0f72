"""The HS picker: a buyer in Chinese and an exhibitor in Korean find codes by words, not numbers."""

from __future__ import annotations

import re

import pytest

from bizweek.companies.models import Company
from bizweek.expo.models import Product
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def pick(page, field_id: str, query: str, code: str) -> None:
    """Type words into the picker next to `field_id` and choose `code` from the suggestions."""
    picker = page.locator(f".hs-picker:has(#{field_id})")
    picker.locator(".hs-search").fill(query)
    option = picker.locator(f".hs-results li[data-code='{code}']")
    option.wait_for()
    option.click()


def test_hs_picker_in_chinese_registration_finds_codes_by_words_and_dotted_code(new_page):
    factories.make_event()
    page = new_page(locale="zh-CN")
    page.goto("/register/?role=buyer")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    search = page.locator(".hs-picker .hs-search")
    assert search.get_attribute("placeholder").startswith("按产品名称")

    pick(page, "id_hs_codes", "冻鱼", "0303")
    pick(page, "id_hs_codes", "8429.52", "842952")
    assert page.input_value("#id_hs_codes") == "0303 842952"
    chosen = page.locator(".hs-chosen")
    chosen.locator("li", has_text="上部结构可转360度的机动挖掘机械").wait_for()
    assert "冻鱼" in chosen.inner_text()
    # A name the taxonomy holds only in English still shows its Chinese heading name.
    search.fill("tower cranes")
    suggestion = page.locator(".hs-results li[data-code='842620']")
    suggestion.wait_for()
    assert "起重机" in suggestion.inner_text()
    screenshot(page, "hs-picker-zh-hans")
    search.press("Escape")

    page.fill("#id_name_zh_hans", "大连海丰水产贸易有限公司")
    page.select_option("#id_country", "CN")
    page.select_option("#id_timezone", "Asia/Shanghai")
    page.fill("#id_display_name", "王海")
    page.fill("#id_email", "wang@haifeng.example")
    page.fill("#id_password1", factories.PASSWORD)
    page.fill("#id_password2", factories.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/register/sent/"))
    company = Company.objects.get(name_zh_hans="大连海丰水产贸易有限公司")
    assert sorted(company.hs_codes.values_list("code", flat=True)) == ["0303", "842952"]


def test_hs_picker_in_korean_booth_editor_sets_the_products_code(new_page):
    factories.make_event()
    seller = factories.make_company(name_ko="대성크레인")
    exhibitor = factories.make_member(seller, email="lee@daesung.example", language="ko")
    page = new_page(locale="ko-KR")
    login(page, exhibitor.email)
    page.goto(f"/booths/{seller.pk}/edit/products/new/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.fill("#id_name_ko", "미니 굴착기 DS-17")
    pick(page, "id_hs_code", "굴착기", "842952")
    assert page.input_value("#id_hs_code") == "842952"
    # One code per product: choosing another replaces it.
    pick(page, "id_hs_code", "8426 20", "842620")
    assert page.input_value("#id_hs_code") == "842620"
    chosen = page.locator(".hs-chosen li", has_text="크레인")
    chosen.wait_for()
    screenshot(page, "hs-picker-ko")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".messages .success")
    assert Product.objects.get(company=seller).hs_code_id == "842620"
