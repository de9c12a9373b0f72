"""An exhibitor adds a product with a photo in Korean; a buyer browsing in Chinese finds it."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def png_bytes() -> bytes:
    image = Image.new("RGB", (640, 480), (30, 120, 200))
    for x in range(200, 440):
        for y in range(160, 320):
            image.putpixel((x, y), (250, 200, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def login(page, email: str, password: str = factories.PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/accounts/me/"))


def add_excavator(page, name_ko: str, photo, description_ko: str = "") -> None:
    """Fill in and save the product form open on `page`: an excavator (HS 842952) with a photo."""
    page.fill("#id_name_ko", name_ko)
    if description_ko:
        page.fill("#id_description_ko", description_ko)
    page.fill("#id_hs_code", "842952")
    page.fill("#id_moq", "1")
    page.fill("#id_price_min", "25000")
    page.fill("#id_price_max", "32000")
    page.set_input_files("#id_image", str(photo))
    page.click("button[type=submit].primary")
    page.wait_for_selector(".messages .success")


def test_exhibitor_adds_product_with_photo_buyer_finds_it_in_chinese(new_page, tmp_path):
    factories.make_event()
    seller = factories.make_company(name_ko="세진중공업", description_ko="건설기계 전문 기업")
    factories.make_company(name_ko="한빛코스메틱", hs_codes=["3304"])  # a booth that must not match
    exhibitor = factories.make_member(seller, email="kim@sejin.example", language="ko")
    buyer_company = factories.make_company(
        role="buyer", name_zh_hans="曼谷华丰国际贸易", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(buyer_company, email="chen@huafeng.example", language="zh-hans")
    photo = tmp_path / "excavator.png"
    photo.write_bytes(png_bytes())

    # 1. The exhibitor, in Korean, adds a product with a photo from the booth editor.
    page = new_page(locale="ko-KR")
    login(page, exhibitor.email)
    page.goto(f"/booths/{seller.pk}/edit/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.click(f"a[href='/booths/{seller.pk}/edit/products/new/']")
    add_excavator(page, "미니 굴착기 SX-35", photo, description_ko="3.5톤급 소형 굴착기")
    assert page.locator(".photo-row img").count() == 1
    screenshot(page, "product-editor-ko")

    # 2. A buyer browsing in Chinese searches the hall in Chinese and opens the booth.
    visitor = new_page(locale="zh-CN")
    login(visitor, buyer.email)
    visitor.goto("/hall/")
    assert visitor.locator("html").get_attribute("lang") == "zh-hans"
    visitor.fill("#q", "挖掘机")
    visitor.click("form.filters button[type=submit]")
    visitor.wait_for_url(re.compile(r"[?&]q="))  # the results, not the hall before them
    cards = visitor.locator(".company-card")
    assert cards.count() == 1
    assert "세진중공업" in cards.first.inner_text()
    assert visitor.locator(".company-card mark").count() >= 1
    screenshot(visitor, "hall-search-zh")
    cards.first.locator("a.card-link").click()
    visitor.wait_for_url(re.compile(rf"/booths/{seller.pk}/"))
    product = visitor.locator(".product-card", has_text="미니 굴착기 SX-35")
    assert product.is_visible()
    image = product.locator("img")
    assert visitor.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())
    assert "HS 842952" in product.inner_text()
    qr = visitor.locator("img.qr")
    assert visitor.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    screenshot(visitor, "booth-zh")
