"""Through a real coturn: a call forced through TURN connects with the app's short-lived
credentials, and coturn refuses an expired one."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from bizweek.meetings.ice import turn_credentials
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS
from tests.e2e.rooms import WEBRTC_ARGS, coturn, login, served_rooms, wait_for_remote_video
from tests.factories import PASSWORD

SECRET = "test-shared-secret-0123456789"

pytestmark = pytest.mark.skipif(
    not shutil.which("turnserver"), reason="coturn is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def turn_url(tmp_path_factory):
    with coturn(tmp_path_factory.mktemp("coturn"), SECRET) as url:
        yield url


@pytest.fixture(scope="module")
def relay_site(tmp_path_factory, turn_url):
    env = {
        "BIZWEEK_TURN_URLS": turn_url,
        "BIZWEEK_TURN_SECRET": SECRET,
        "BIZWEEK_ICE_TRANSPORT_POLICY": "relay",
    }
    with served_rooms(tmp_path_factory.mktemp("relay"), meetings=1, extra_env=env) as served:
        yield served


@pytest.fixture(scope="module")
def webrtc_browser(playwright_driver):
    playwright = playwright_driver
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + WEBRTC_ARGS
    )
    yield browser
    browser.close()


def test_call_forced_through_turn_connects_with_app_credentials(relay_site, webrtc_browser):
    url, info = relay_site
    meeting = info["meetings"][0]
    pages = []
    for email in ("seller0@example.test", "buyer0@example.test"):
        context = webrtc_browser.new_context(base_url=url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        login(page, email, PASSWORD)
        page.goto(f"/meetings/{meeting}/room/")
        page.click("#join")
        pages.append(page)
    for page in pages:
        wait_for_remote_video(page, 1)
        routes = page.evaluate("window.bizweekRoom.routes()")
        assert set(routes.values()) == {"relay"}, routes
        servers = page.evaluate("window.bizweekRoom.room.iceServers")
        (turn,) = [server for server in servers if "username" in server]
        expiry = int(turn["username"].split(":")[0])
        assert expiry > timezone.now().timestamp()  # short-lived, not a static password
    for page in pages:
        page.context.close()


GATHER = """async ({servers}) => {
  const pc = new RTCPeerConnection({iceServers: servers, iceTransportPolicy: "relay"});
  const found = {relay: 0, errors: []};
  pc.onicecandidate = ({candidate}) => {
    if (candidate && candidate.type === "relay") found.relay++;
  };
  pc.onicecandidateerror = (event) => found.errors.push(event.errorCode);
  pc.createDataChannel("probe");
  await pc.setLocalDescription();
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
  });
  pc.close();
  return found;
}"""


def test_turn_refuses_an_expired_credential(turn_url, webrtc_browser):
    page = webrtc_browser.new_context().new_page()
    page.goto("about:blank")
    now = timezone.now()
    results = {}
    for name, expiry in (
        ("valid", now + timedelta(minutes=5)),
        ("expired", now - timedelta(minutes=1)),
    ):
        username, password = turn_credentials(SECRET, 42, expiry)
        servers = [{"urls": [turn_url], "username": username, "credential": password}]
        results[name] = page.evaluate(GATHER, {"servers": servers})
    assert results["valid"]["relay"] >= 1
    assert results["expired"]["relay"] == 0
    assert 401 in results["expired"]["errors"]
    page.context.close()
