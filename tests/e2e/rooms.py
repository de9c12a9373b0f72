"""A real `bizweek serve` (uvicorn, WebSockets, Channels) with meetings under way, and a
Chromium that can do WebRTC headless, for the meeting-room browser tests and the benchmark."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BIZWEEK = Path(sys.executable).with_name("bizweek")
ROOT = Path(__file__).resolve().parents[2]
WEBRTC_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]

# Run in a fresh process against the served database: people and meetings happening now.
SETUP = r"""
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from bizweek.accounts.models import Role
from tests import factories

count = int(sys.argv[1])
bulk = len(sys.argv) > 2 and sys.argv[2] == "bulk"  # the benchmark: many rooms, sessions
if bulk:  # only signed in through sessions made here, so no password is ever checked
    from django.conf import settings
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
now = timezone.now().replace(microsecond=0)
event = factories.make_event()
interpreter = factories.make_user(role=Role.INTERPRETER, email="interpreter@example.test",
                                  display_name="Lee Interpreter", languages="ko-zh")
outsider = factories.make_member(factories.make_company(name_en="Outsider Ltd"),
                                 email="outsider@example.test")
organizer = factories.make_organizer(email="organizer@example.test")
meetings = []
sessions = []


def session_for(user):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    # A backend the settings list (Django signs out sessions of unlisted backends).
    store["_auth_user_backend"] = next(
        b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")
    )
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key


for number in range(count):
    seller = factories.make_company(name_en=f"Changwon Precision {number}")
    buyer = factories.make_company(role="buyer", name_en=f"Bangkok Trading {number}",
                                   country="TH", timezone="Asia/Bangkok")
    if not bulk:
        factories.make_product(seller, name_en=f"Excavator {number}")
    people = [
        factories.make_member(seller, email=f"seller{number}@example.test",
                              display_name=f"Kim {number}"),
        factories.make_member(buyer, email=f"buyer{number}@example.test",
                              display_name=f"Chen {number}"),
    ]
    meeting = factories.make_meeting(
        event, seller, buyer, starts_at=now - timedelta(minutes=1),
        interpreter=interpreter if number == 1 else None,
        languages="ko-zh" if number == 1 else "",
        needs_interpreter=number == 1,
    )
    meetings.append(meeting.pk)
    if bulk:
        sessions.append([session_for(person) for person in people])
print(json.dumps({"meetings": meetings, "sessions": sessions}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_rooms(
    data: Path,
    meetings: int = 3,
    extra_env: dict | None = None,
    workers: int = 1,
    bulk: bool = False,
):
    """Yield (base url, setup info) for a server with `meetings` meetings under way."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        BIZWEEK_DATA_DIR=str(data),
        DEBUG="0",
        BIZWEEK_HTTPS="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="bizweek.settings",
        PYTHONPATH=str(ROOT),
        **(extra_env or {}),
    )
    if workers == 1:
        env.pop("REDIS_URL", None)
    subprocess.run([BIZWEEK, "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
    made = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP, str(meetings), "bulk" if bulk else "people"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    info = json.loads(made.stdout.strip().splitlines()[-1])
    port = int(env.get("BIZWEEK_TEST_PORT") or free_port())
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [BIZWEEK, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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
        yield url, {**info, "server_pid": server.pid}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def login(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/accounts/me/")


def frames_decoded(page) -> dict:
    return page.evaluate("window.bizweekRoom.framesDecoded()")


def wait_for_remote_video(page, peers: int, timeout: float = 30) -> dict:
    """Wait until `peers` remote peers each have decoded at least one video frame."""
    deadline = time.monotonic() + timeout
    while True:
        frames = frames_decoded(page)
        if sum(1 for count in frames.values() if count > 0) >= peers:
            return frames
        if time.monotonic() > deadline:
            states = page.evaluate(
                "[...window.bizweekRoom.room.peers.values()].map(p => [p.info.id, p.info.role,"
                " p.pc.signalingState, p.pc.iceConnectionState, p.pc.connectionState,"
                " p.pc.getTransceivers().map(t => t.currentDirection).join('/')])"
            )
            raise AssertionError(f"remote video not decoded: {frames} {states}")
        page.wait_for_timeout(200)


@contextmanager
def coturn(workdir: Path, secret: str):
    """A real coturn on loopback with shared-secret (use-auth-secret) credentials; yields
    its turn: URL. Started directly, never as the system service."""
    port = free_port()
    relay_low = 40000 + (port % 200) * 100
    log = (workdir / "turnserver.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            shutil.which("turnserver") or "/usr/bin/turnserver",
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 99}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=bizweek.test",
            "--allow-loopback-peers",
            "--fingerprint",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            f"--db={workdir / 'turndb'}",
            f"--pidfile={workdir / 'turnserver.pid'}",
            "--log-file=stdout",
            "--simple-log",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:  # coturn listens on TCP and UDP alike: ready when TCP accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        (workdir / "turnserver.log").read_text(errors="replace")
                    ) from None
                time.sleep(0.1)
        yield f"turn:127.0.0.1:{port}?transport=udp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
