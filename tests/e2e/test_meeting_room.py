"""Video consultations in real headless Chromium against the real server: two companies see
each other, chat, an outsider is refused, an interpreter makes three, a reload rejoins."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, screenshot
from tests.e2e.rooms import WEBRTC_ARGS, login, served_rooms, wait_for_remote_video
from tests.e2e.test_hall_flow import png_bytes
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with served_rooms(tmp_path_factory.mktemp("rooms"), meetings=2) as served:
        yield served


@pytest.fixture(scope="module")
def webrtc_browser(playwright_driver):
    playwright = playwright_driver
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + WEBRTC_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def person(site, webrtc_browser):
    url, _ = site
    contexts = []

    def open_as(email: str, locale: str = "en-US"):
        context = webrtc_browser.new_context(
            base_url=url, locale=locale, viewport={"width": 1280, "height": 860}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: print(email, message.type, message.text))
        login(page, email, PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()


def join(page, meeting: int) -> None:
    page.goto(f"/meetings/{meeting}/room/")
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")


def test_room_seller_and_buyer_see_each_other_and_chat(site, person):
    _, info = site
    meeting = info["meetings"][0]
    seller = person("seller0@example.test", "ko-KR")
    seller.goto(f"/meetings/{meeting}/")
    seller.click("#room-link")
    seller.wait_for_selector("#preview")
    seller.click("#join")
    seller.wait_for_selector("#waiting:not([hidden])")

    buyer = person("buyer0@example.test", "zh-CN")
    join(buyer, meeting)
    wait_for_remote_video(seller, 1)
    wait_for_remote_video(buyer, 1)
    seller.locator("#waiting").wait_for(state="hidden")

    buyer.fill("#chat-text", "<img src=x onerror=alert(1)> 你好")
    buyer.press("#chat-text", "Enter")
    line = seller.locator("#chat-log li", has_text="你好")
    line.wait_for()
    assert "<img src=x onerror=alert(1)>" in line.inner_text()  # shown as text, not HTML
    assert seller.locator("#chat-log img").count() == 0
    # A picture shared by the seller appears for the buyer as a link.
    seller.set_input_files(
        "#file-input",
        files=[{"name": "layout.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    buyer.locator(".shared-file a", has_text="layout").wait_for()
    # The buyer mutes: the seller sees it on the buyer's tile.
    buyer.click("#mute")
    seller.locator(".tile figcaption[data-state='muted']").wait_for()
    screenshot(seller, "meeting-room-seller-ko")

    # The buyer reloads: the page rejoins the call and video flows again.
    buyer.reload()
    buyer.wait_for_selector("#call:not([hidden])")
    wait_for_remote_video(buyer, 1)
    wait_for_remote_video(seller, 1)
    assert buyer.locator("#chat-log li", has_text="你好").count() == 1  # the chat was kept


def test_room_refuses_a_third_company(site, person):
    _, info = site
    outsider = person("outsider@example.test")
    response = outsider.goto(f"/meetings/{info['meetings'][0]}/room/")
    assert response.status == 403
    # Its WebSocket is refused as well.
    closed = outsider.evaluate(
        """(meeting) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/ws/meetings/${meeting}/`);
            ws.onopen = () => resolve("open");
            ws.onclose = () => resolve("closed");
        })""",
        info["meetings"][0],
    )
    assert closed == "closed"


def test_room_with_interpreter_each_sees_two_videos(site, person):
    _, info = site
    meeting = info["meetings"][1]
    pages = [
        person("seller1@example.test", "ko-KR"),
        person("buyer1@example.test", "zh-CN"),
        person("interpreter@example.test"),
    ]
    for page in pages:
        join(page, meeting)
    for page in pages:
        wait_for_remote_video(page, 2)
    caption = pages[0].locator(".tile.role-interpreter figcaption")
    assert "ko-zh" in caption.inner_text()
    screenshot(pages[2], "meeting-room-interpreter")


def test_control_tower_updates_live_and_observer_joins(site, person):
    _, info = site
    meeting = info["meetings"][0]
    organizer = person("organizer@example.test")
    organizer.goto("/organizer/meetings/live/")
    organizer.wait_for_selector("#tower-live:not([hidden])")
    # The earlier tests' participants have left this room; under load their leaves may reach
    # the server just after the tower loads, and the tower must then turn to "waiting" live.
    organizer.wait_for_selector(f"tr[data-meeting='{meeting}'] [data-status='waiting']")

    seller = person("seller0@example.test")
    join(seller, meeting)
    organizer.wait_for_selector(f"tr[data-meeting='{meeting}'] [data-status='one_side']")
    buyer = person("buyer0@example.test")
    join(buyer, meeting)
    organizer.wait_for_selector(f"tr[data-meeting='{meeting}'] [data-status='both_in']")
    screenshot(organizer, "meeting-control-tower")

    # One click to observe: the organizer receives both videos and is shown as an observer.
    with organizer.expect_navigation():
        organizer.click(f"tr[data-meeting='{meeting}'] a.button")
    organizer.click("#join")
    wait_for_remote_video(organizer, 2)
    seller.wait_for_selector(".tile.role-observer")


def test_connection_test_page_passes_on_loopback(site, person):
    page = person("buyer1@example.test")
    page.goto("/meetings/check/")
    page.click("#check-start")
    page.wait_for_selector("#check-summary.success")
    assert page.locator("#check-relay").get_attribute("data-state") == "ok"
