"""The site as `bizweek serve` runs it, in a browser.

The other browser tests use pytest's live server, i.e. Django's WSGI handler. This one starts
the real server (uvicorn, the pooled HTTP handler of core/handler.py, batched booth visits) on a
fresh data directory with the demo event, so sign-in, a multipart upload, cached booth pages,
a search, a streamed media file and the visitor figures go through the code production runs.
"""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot, served_env
from tests.e2e.test_hall_flow import add_excavator, login, png_bytes

BIZWEEK = Path(sys.executable).with_name("bizweek")
DEMO_PASSWORD = "bizweek-demo"
SELLER = "s00001@seller.demo.bizweek.test"
BUYER = "b00001@buyer.demo.bizweek.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_site(demo_template, tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    shutil.copytree(demo_template, data, dirs_exist_ok=True)
    env = served_env(data, BIZWEEK_HTTPS="0")
    port = free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [BIZWEEK, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"

    def stop() -> None:
        if server.poll() is None:
            server.terminate()  # SIGTERM, as systemd stops it
            server.wait(timeout=20)

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5)  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data / "server.log").read_text()) from None
                time.sleep(0.2)
        yield url, stop, data / "bizweek.sqlite3"
    finally:
        stop()
        log.close()
        text = (data / "server.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


def test_the_served_site_from_upload_to_visitor_figures(served_site, browser, tmp_path):
    served_site, stop_server, database = served_site
    photo = tmp_path / "excavator.png"
    photo.write_bytes(png_bytes())

    # An exhibitor signs in (a form with its CSRF token) and adds a product with a photo
    # (a multipart body read by the event loop, handled in a pool thread).
    exhibitor = browser.new_context(base_url=served_site, locale="ko-KR").new_page()
    login(exhibitor, SELLER, DEMO_PASSWORD)
    edit = exhibitor.locator("a[href$='/edit/'][href^='/booths/']").first.get_attribute("href")
    booth = re.match(r"/booths/(\d+)/", edit).group(0)
    exhibitor.goto(booth + "edit/products/new/")
    add_excavator(exhibitor, "서빙 테스트 굴착기", photo)
    unique_before, views_before = figures(exhibitor, booth)

    # A buyer reading in Chinese finds it by a Chinese word and opens the booth twice (the
    # second time from the page cache); the photo is a media file, streamed.
    buyer = browser.new_context(base_url=served_site, locale="zh-CN").new_page()
    login(buyer, BUYER, DEMO_PASSWORD)
    buyer.goto("/hall/?q=" + "挖掘机")
    assert buyer.locator(f".company-card a.card-link[href='{booth}']").count() == 1
    anonymous = browser.new_context(base_url=served_site, locale="zh-CN").new_page()
    for page in (buyer, anonymous, anonymous):
        page.goto(booth)
        product = page.locator(".product-card", has_text="서빙 테스트 굴착기")
        assert product.is_visible()
        image = product.locator("img").element_handle()
        # It loads (a broken or refused media file never gets a natural width).
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image)
    screenshot(anonymous, "served-booth-zh")

    # The exhibitor's visitor figures count the buyer and the anonymous visitor (whose reload
    # is a view, not a visitor) at once, although visits are written in batches.
    assert figures(exhibitor, booth) == (unique_before + 2, views_before + 3)

    # A last view just before the server is stopped still reaches the database.
    anonymous.goto(booth)
    stop_server()
    with sqlite3.connect(database) as db:
        (views,) = db.execute(
            "SELECT SUM(views) FROM expo_boothvisit WHERE company_id = ?",
            [int(booth.split("/")[2])],
        ).fetchone()
    assert views == views_before + 4


def figures(page, booth: str) -> tuple[int, int]:
    """(unique visits, page views) on a booth's visitor figures page."""
    page.goto(booth + "visitors/")
    values = page.locator("dl.figures dd").all_inner_texts()
    return int(values[0].replace(",", "")), int(values[1].replace(",", ""))
