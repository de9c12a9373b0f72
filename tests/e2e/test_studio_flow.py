"""A live PR show end to end, on the real server (`bizweek serve`: WebSockets, ingest supervisor).

The host goes live; a synthetic encoder (ffmpeg testsrc + sine) pushes RTMP with the show's key;
a buyer's player in Chromium plays the HLS stream; "next" puts the product card in front of the
buyer; the buyer requests a consultation, which exists with the show as its source; the buyer's
chat arrives as text; the show ends and the replay plays with its chapters. Browser ingest: the
console in Chromium with a fake camera goes live and a viewer's player advances.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, screenshot, served_env
from tests.e2e.rooms import WEBRTC_ARGS
from tests.e2e.test_hall_flow import login
from tests.e2e.test_served_site import free_port

BIZWEEK = Path(sys.executable).with_name("bizweek")
DEMO_PASSWORD = "bizweek-demo"
HOST = "host@demo.bizweek.test"
BUYER = "b00001@buyer.demo.bizweek.test"
RTMP_PORTS = os.environ.get("BIZWEEK_TEST_RTMP_PORTS", "8270-8279")


@pytest.fixture(scope="module")
def studio_site(demo_template, tmp_path_factory):
    data = tmp_path_factory.mktemp("studio")
    shutil.copytree(demo_template, data, dirs_exist_ok=True)
    env = served_env(data, BIZWEEK_RTMP_PORTS=RTMP_PORTS)
    port = free_port()
    log = (data / "server.log").open("wb")
    # Its own process group: the RTMP listeners (ffmpeg) it starts are stopped with it, so no
    # listener outlives the test and holds a port the next run (or the PostgreSQL pass) needs.
    server = subprocess.Popen(  # noqa: S603
        [BIZWEEK, "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
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
        yield url, data
    finally:
        server.terminate()
        server.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # listeners left behind by the server
        log.close()
        text = (data / "server.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


class Encoder:
    """OBS stand-in: pushes a test pattern with a tone, and pushes again if refused early."""

    def __init__(self, url: str) -> None:
        import imageio_ffmpeg

        self.command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "quiet", "-re"),
            *("-f", "lavfi", "-i", "testsrc=size=640x360:rate=25"),
            *("-f", "lavfi", "-i", "sine=frequency=440"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"),
            *("-c:a", "aac", "-t", "600", "-f", "flv", url),
        ]
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(self.command, stdin=subprocess.DEVNULL)  # noqa: S603

    def keep_up(self) -> None:
        if self.process.poll() is not None:
            self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def camera_browser(playwright_driver):
    """A Chromium with a fake camera and microphone that grants them without asking."""
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + WEBRTC_ARGS
    )
    yield browser
    browser.close()


def page_for(browser, base_url: str, locale: str = "en-US"):
    context = browser.new_context(
        base_url=base_url, locale=locale, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    return context.new_page()


def wait_playing(page, encoder: Encoder | None, beyond: float = 2.0) -> None:
    """Until the player's currentTime passes `beyond` (keeping the encoder connected)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if encoder is not None:
            encoder.keep_up()
        if page.evaluate("document.querySelector('video[data-player]').currentTime") > beyond:
            return
        time.sleep(0.5)
    raise AssertionError("the player did not advance")


def test_live_show_from_rtmp_to_consultation_request_and_replay(studio_site, browser):
    url, data = studio_site
    host = page_for(browser, url)
    login(host, HOST, DEMO_PASSWORD)
    host.goto("/studio/")
    host.click("a:has-text('PR 1:')")
    show_id = int(re.search(r"/studio/(\d+)/", host.url).group(1))
    host.goto(f"/studio/{show_id}/console/")
    host.click("[data-go-live]")
    rtmp = host.inner_text("[data-rtmp-url]")
    key = host.inner_text("[data-stream-key]")
    encoder = Encoder(f"{rtmp}/{key}")
    try:
        buyer = page_for(browser, url)
        login(buyer, BUYER, DEMO_PASSWORD)
        buyer.goto(f"/studio/{show_id}/")
        wait_playing(buyer, encoder)

        host.goto(f"/studio/{show_id}/console/")
        host.wait_for_selector("[data-h=state][data-value=receiving]")
        first_product = host.locator("[data-rundown] [data-item]").first.locator(".pin-list li")
        product_name = first_product.first.inner_text().rsplit(" ", 1)[0].strip()
        host.click("[data-next]")
        card = buyer.locator("[data-pinned-card]")
        card.wait_for(state="visible")
        assert product_name.split()[0] in card.inner_text()
        screenshot(buyer, "studio-viewer-live")  # docs/screenshots/studio-viewer-zh-hans.png

        buyer.click("[data-request-button]")
        buyer.wait_for_selector("[data-request-result]:not(.error):not(:empty)")
        with sqlite3.connect(data / "bizweek.sqlite3") as db:
            rows = db.execute(
                "SELECT COUNT(*) FROM matching_meetingrequest WHERE source = ?",
                (f"studio:{show_id}",),
            ).fetchone()
        assert rows == (1,)

        buyer.fill("#chat-text", "<img src=x id=injected> hello")
        buyer.press("#chat-text", "Enter")
        buyer.wait_for_selector("[data-chat-log] li:has-text('hello')")
        assert buyer.locator("#injected").count() == 0
        host.wait_for_selector("[data-chat-log] li:has-text('hello')")
        screenshot(host, "studio-console")  # docs/screenshots/studio-console-ko.png

        host.click("[data-end]")
    finally:
        encoder.stop()

    buyer.goto(f"/studio/{show_id}/")
    chapters = buyer.locator("[data-chapters] li")
    assert chapters.count() == 1
    wait_playing(buyer, None, beyond=1.0)
    buyer.locator("[data-pinned-card]").wait_for(state="visible")


def test_wrong_key_is_refused_and_records_nothing(studio_site, browser):
    url, data = studio_site
    host = page_for(browser, url)
    login(host, HOST, DEMO_PASSWORD)
    host.goto("/studio/")
    host.click("a:has-text('PR 2:')")
    show_id = int(re.search(r"/studio/(\d+)/", host.url).group(1))
    host.goto(f"/studio/{show_id}/console/")
    host.click("[data-go-live]")
    rtmp = host.inner_text("[data-rtmp-url]")
    encoder = Encoder(f"{rtmp}/wrong-key")
    try:
        deadline = time.monotonic() + 60
        while host.inner_text("[data-h=refused]") in {"0", ""}:
            assert time.monotonic() < deadline, "the wrong key was not refused"
            encoder.keep_up()
            time.sleep(0.5)
    finally:
        encoder.stop()
    assert not (data / "studio" / str(show_id) / "index.m3u8").exists()


def test_browser_ingest_goes_live_and_a_viewer_plays_it(studio_site, camera_browser, browser):
    url, data = studio_site
    host = page_for(camera_browser, url)
    login(host, HOST, DEMO_PASSWORD)
    host.goto("/studio/")
    host.click("a:has-text('PR 3:')")
    show_id = int(re.search(r"/studio/(\d+)/", host.url).group(1))
    host.goto(f"/studio/{show_id}/console/")
    host.click("[data-go-live]")

    # A browser that refuses the camera (no device, no permission): said in the host's language.
    refusing = page_for(browser, url)
    login(refusing, HOST, DEMO_PASSWORD)
    refusing.goto(f"/studio/{show_id}/console/")
    refusing.click("[data-ingest-start]")
    refusing.wait_for_selector("[data-browser-ingest][data-ingest-state=failed]")
    box = refusing.locator("[data-browser-ingest]")
    message = refusing.inner_text("[data-ingest-error]")
    expected = {box.get_attribute("data-text-denied"), box.get_attribute("data-text-missing")}
    assert message in expected
    assert re.search("[가-힣]", message), message  # the demo host reads Korean
    refusing.context.close()

    host.click("[data-ingest-start]")
    host.wait_for_selector("[data-browser-ingest][data-ingest-state=sending]")
    assert host.evaluate("document.querySelector('[data-ingest-preview]').srcObject !== null")

    viewer = page_for(browser, url)  # anyone may watch
    viewer.goto(f"/studio/{show_id}/")
    wait_playing(viewer, None)
    host.wait_for_selector("[data-h=state][data-value=receiving]")
    assert host.inner_text("[data-ingest-error]") == ""

    host.click("[data-ingest-stop]")
    host.wait_for_selector("[data-browser-ingest][data-ingest-state=stopped]")
    assert host.evaluate("document.querySelector('[data-ingest-preview]').srcObject") is None
    host.click("[data-end]")
    assert (data / "studio" / str(show_id) / "index.m3u8").exists()


def test_console_sends_again_with_the_same_camera_after_a_listener_restart(
    studio_site, camera_browser
):
    """The server stepped down to one rendition and restarted the show's listener: the console
    reconnects by itself with the capture it has (the camera is not asked for again) and a new
    WebM header. The server's side of this is tests/studio/test_browser_ingest.py; here the
    ingest socket is played by the test, so no real slowness is needed."""
    url, _data = studio_site
    host = page_for(camera_browser, url)
    host.add_init_script(
        "const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);"
        "window.captures = 0;"
        "navigator.mediaDevices.getUserMedia = (c) => { window.captures += 1; return real(c); };"
    )
    connections: list[list[bytes]] = []

    def ingest_socket(ws) -> None:
        frames: list[bytes] = []
        connections.append(frames)
        first = len(connections) == 1

        def received(message) -> None:
            if isinstance(message, bytes):
                frames.append(message)
                if first and len(frames) == 1:
                    ws.send('{"type": "error", "code": "restart", "message": "Sending again"}')
                    ws.close(code=4503)

        ws.on_message(received)
        ws.send('{"type": "ready", "max_chunk_bytes": 524288}')

    host.route_web_socket(re.compile(r"/ws/studio/\d+/ingest/$"), ingest_socket)
    login(host, HOST, DEMO_PASSWORD)
    host.goto("/studio/")
    host.click("a:has-text('PR 5:')")
    show_id = int(re.search(r"/studio/(\d+)/", host.url).group(1))
    host.goto(f"/studio/{show_id}/console/")
    host.click("[data-go-live]")
    host.click("[data-ingest-start]")
    host.wait_for_function("window.captures === 1")
    deadline = time.monotonic() + 30
    while not (len(connections) >= 2 and connections[1]) and time.monotonic() < deadline:
        host.wait_for_timeout(200)
    assert len(connections) == 2 and connections[1], connections
    assert connections[1][0][:4] == b"\x1a\x45\xdf\xa3"  # a fresh WebM (EBML) header
    host.wait_for_selector("[data-browser-ingest][data-ingest-state=sending]")
    assert host.evaluate("window.captures") == 1 and host.inner_text("[data-ingest-error]") == ""
    host.click("[data-ingest-stop]")
    host.wait_for_selector("[data-browser-ingest][data-ingest-state=stopped]")
    host.click("[data-end]")


def test_viewer_asks_for_a_reminder_on_the_schedule(studio_site, browser):
    url, data = studio_site
    buyer = page_for(browser, url)
    login(buyer, BUYER, DEMO_PASSWORD)
    buyer.goto("/studio/")
    row = buyer.locator(".show-row").last  # the closing ceremony, days ahead
    row.locator("[data-remind-me]").click()
    buyer.wait_for_url(re.compile(r"/studio/$"))
    row.locator("[data-remind-cancel]").wait_for(state="visible")
    with sqlite3.connect(data / "bizweek.sqlite3") as db:
        rows = db.execute("SELECT COUNT(*) FROM studio_showreminder").fetchone()
    assert rows == (1,)


def test_host_edits_the_rundown_in_the_browser(studio_site, browser):
    url, _data = studio_site
    host = page_for(browser, url)
    login(host, HOST, DEMO_PASSWORD)
    host.goto("/studio/")
    host.click("a:has-text('PR 4:')")
    show_id = int(re.search(r"/studio/(\d+)/", host.url).group(1))
    host.goto(f"/studio/{show_id}/console/")
    host.click("[data-edit-rundown]")
    items = host.locator("[data-rundown-editor] > li[data-item]")
    before = items.count()
    choice = host.locator("[data-add-item] select option").nth(1)
    company = choice.inner_text().strip()
    host.select_option("[data-add-item] select", choice.get_attribute("value"))
    host.click("[data-add-item] button[type=submit]")
    host.wait_for_selector(f"[data-rundown-editor] > li:last-child h2:has-text('{company}')")
    assert items.count() == before + 1
    items.last.locator("button[value=up]").click()
    host.wait_for_selector(f"[data-rundown-editor] > li:nth-last-child(2) h2:has-text('{company}')")
    host.goto(f"/studio/{show_id}/console/")  # the console's rundown follows the edit
    assert company in host.locator("[data-rundown]").inner_text()


def test_organizer_schedules_a_show_in_the_browser(studio_site, browser):
    url, _data = studio_site
    organizer = page_for(browser, url)
    login(organizer, "organizer@demo.bizweek.test", DEMO_PASSWORD)
    organizer.goto("/studio/")
    organizer.click("[data-new-show]")
    organizer.fill("#id_title_ko", "수소 특집 라이브")
    organizer.fill("#id_title_en", "Hydrogen special live")
    organizer.select_option("#id_category", "hydrogen")
    organizer.fill("#id_starts_at", "2030-05-20T14:00")  # the event's clock (Asia/Seoul)
    organizer.fill("#id_ends_at", "2030-05-20T13:00")
    organizer.click("[data-save-show]")
    organizer.locator(".has-error .error").wait_for()  # ends before it starts: refused, kept
    organizer.fill("#id_ends_at", "2030-05-20T15:00")
    organizer.click("[data-save-show]")
    organizer.wait_for_url(re.compile(r"/studio/\d+/console/rundown/$"))
    organizer.goto("/studio/")
    row = organizer.locator(".show-row", has_text="수소 특집 라이브")
    starts = row.locator("time").first.get_attribute("datetime")
    assert organizer.evaluate("s => new Date(s).toISOString()", starts) == (
        "2030-05-20T05:00:00.000Z"
    )
    # Cancelled from the show's editor after a confirmation step: the schedule marks it, and a
    # viewer who has its page open is told at once (over the show's WebSocket).
    show_id = int(re.search(r"/studio/(\d+)/", row.locator("a").first.get_attribute("href"))[1])
    viewer = page_for(browser, url)
    with viewer.expect_websocket() as opened:
        viewer.goto(f"/studio/{show_id}/")
    opened.value.wait_for_event("framereceived")  # the welcome: the viewer is in the show
    status = viewer.locator("[data-player-status]")
    assert status.inner_text() == "The show has not started yet."
    organizer.goto(f"/studio/{show_id}/edit/")
    organizer.click("[data-cancel-show]")
    organizer.wait_for_url(re.compile(rf"/studio/{show_id}/cancel/$"))
    organizer.click("[data-confirm-cancel]")
    organizer.wait_for_url(re.compile(r"/studio/$"))
    row.locator("[data-cancelled]").wait_for(state="visible")
    viewer.wait_for_function(
        "document.querySelector('[data-player-status]').textContent === 'This show is cancelled.'"
    )
    viewer.context.close()
