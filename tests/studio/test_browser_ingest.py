"""The browser-ingest WebSocket: who may send, when, one at a time, and what it does with bad data.

The show's RTMP listener is a real ffmpeg `-listen 1` (the supervisor's own command), so a
good stream is really received, and garbage really reaches an ffmpeg that rejects it.
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.utils import timezone

from bizweek.studio import browser_ingest, ingest
from bizweek.studio.models import BroadcastSession, SessionState
from tests import factories

from .conftest import as_user

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(coroutine_function)).result()


def go_live(show):
    show.state = SessionState.LIVE
    show.save(update_fields=["state"])
    return show


def waiting_listener(show, port=1):
    """What the supervisor publishes once the show's listener waits for a publisher."""
    cache.set(ingest.health_key(show.pk), {"state": "waiting", "port": port}, 30)


async def opened(show, user):
    client = WebsocketCommunicator(as_user(user), f"/ws/studio/{show.pk}/ingest/")
    connected, _ = await client.connect()
    assert connected
    return client


async def refused_with(client, code, close_code):
    message = await client.receive_json_from(timeout=15)
    assert message["type"] == "error", message
    assert message["code"] == code, message
    assert message["message"]
    closed = await client.receive_output(timeout=15)
    assert closed == {"type": "websocket.close", "code": close_code}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_only_the_host_and_organizers_may_send(show, buyer_member):
    go_live(show)
    waiting_listener(show)

    async def scenario():
        for user in (None, buyer_member, factories.make_user(display_name="Other host")):
            client = await opened(show, user)
            await refused_with(client, "forbidden", browser_ingest.CLOSE_FORBIDDEN)
        missing = WebsocketCommunicator(as_user(show.host), "/ws/studio/999999/ingest/")
        await missing.connect()
        await refused_with(missing, "not_found", browser_ingest.CLOSE_NOT_FOUND)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)


def test_refused_before_the_show_is_live(show, host):
    async def scenario():
        client = await opened(show, host)
        await refused_with(client, "not_live", browser_ingest.CLOSE_NOT_LIVE)

    run(scenario)


def test_refused_while_an_rtmp_encoder_feeds_the_show(show, host):
    go_live(show)
    cache.set(ingest.health_key(show.pk), {"state": "receiving", "port": 1}, 30)

    async def scenario():
        client = await opened(show, host)
        await refused_with(client, "encoder_active", browser_ingest.CLOSE_BUSY)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)  # the refused one freed the show


def test_one_browser_at_a_time_and_text_or_garbage_refused(show, host, settings):
    go_live(show)
    waiting_listener(show)
    organizer = factories.make_organizer()

    async def scenario():
        first = await opened(show, host)
        ready = await first.receive_json_from(timeout=15)
        assert ready["type"] == "ready"
        second = await opened(show, organizer)
        await refused_with(second, "busy", browser_ingest.CLOSE_BUSY)

        await first.send_to(text_data='{"type": "chat", "text": "hi"}')
        error = await first.receive_json_from(timeout=5)
        assert error["code"] == "binary_only"
        # Still connected: the text frame changed nothing.
        await first.send_to(bytes_data=b"\x00" * (browser_ingest.MAX_CHUNK_BYTES + 1))
        await refused_with(first, "too_large", browser_ingest.CLOSE_BAD_DATA)

        # The show is free again; a stream that is not WebM is refused on its first bytes.
        third = await opened(show, organizer)
        assert (await third.receive_json_from(timeout=15))["type"] == "ready"
        await third.send_to(bytes_data=os.urandom(4096))
        await refused_with(third, "not_webm", browser_ingest.CLOSE_BAD_DATA)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)


def webm_chunks(seconds: float = 4.0, size: int = 64 * 1024) -> list[bytes]:
    """What MediaRecorder sends: a live WebM (VP8 + Opus), cut into pieces as it is made."""
    encoded = subprocess.run(  # noqa: S603
        [
            ingest.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error"),
            *("-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
            *("-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k"),
            *("-c:a", "libopus", "-f", "webm", "-live", "1", "pipe:1"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return [encoded[i : i + size] for i in range(0, len(encoded), size)]


def test_ffmpeg_failing_is_shown_to_the_console(show, host):
    """Good video, but nothing listens where the show's listener should be: ffmpeg exits."""
    go_live(show)
    waiting_listener(show, port=1)
    chunks = webm_chunks(seconds=1.0)

    async def scenario():
        client = await opened(show, host)
        assert (await client.receive_json_from(timeout=15))["type"] == "ready"
        for chunk in chunks:
            await client.send_to(bytes_data=chunk)
        await refused_with(client, "encoder_failed", browser_ingest.CLOSE_FAILED)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)


def test_listener_stepping_down_asks_the_console_to_send_again(show, host):
    """The server fell behind and restarted the show's listener with one rendition, cutting
    this browser's stream: the console is asked to reconnect, not told that it failed."""
    go_live(show)
    waiting_listener(show, port=1)
    chunks = webm_chunks(seconds=1.0)

    async def scenario():
        client = await opened(show, host)
        assert (await client.receive_json_from(timeout=15))["type"] == "ready"
        health = {"state": "waiting", "port": 1, "stepped_down_at": timezone.now().isoformat()}
        await database_sync_to_async(cache.set)(ingest.health_key(show.pk), health, 30)
        for chunk in chunks:
            await client.send_to(bytes_data=chunk)
        await refused_with(client, "restart", browser_ingest.CLOSE_RESTART)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)  # free for the new connection


def test_show_ended_while_sending_is_said_so(show, host):
    """Another organizer ends the show: the listener goes, and the console hears why."""
    go_live(show)
    waiting_listener(show, port=1)
    chunks = webm_chunks(seconds=1.0)

    async def scenario():
        client = await opened(show, host)
        assert (await client.receive_json_from(timeout=15))["type"] == "ready"
        await database_sync_to_async(BroadcastSession.objects.filter(pk=show.pk).update)(
            state=SessionState.ENDED
        )
        for chunk in chunks:
            await client.send_to(bytes_data=chunk)
        await refused_with(client, "ended", browser_ingest.CLOSE_NOT_LIVE)

    run(scenario)
    assert not browser_ingest.browser_ingest_active(show.pk)


def free_rtmp_port() -> int:
    low, high = (int(p) for p in os.environ.get("BIZWEEK_TEST_RTMP_PORTS", "8270-8279").split("-"))
    for port in range(high, low - 1, -1):
        if ingest._port_free(port):
            return port
    pytest.skip("no free RTMP port in BIZWEEK_TEST_RTMP_PORTS")


def test_browser_chunks_reach_the_listener_as_the_show(show, host, tmp_path):
    """The stream goes to the show's own listener with its key, and becomes HLS there."""
    go_live(show)
    port = free_rtmp_port()
    out = tmp_path / "hls"
    out.mkdir()
    listener = subprocess.Popen(  # noqa: S603
        ingest.command(port, show.stream_key, out),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "listener.log").open("wb"),
        start_new_session=True,
    )
    waiting_listener(show, port)
    chunks = webm_chunks()
    try:
        time.sleep(0.5)  # the listener binds its port

        async def scenario():
            client = await opened(show, host)
            assert (await client.receive_json_from(timeout=15))["type"] == "ready"
            # Chromium's MediaRecorder may send the header's first byte as a chunk of its own.
            await client.send_to(bytes_data=chunks[0][:1])
            await client.send_to(bytes_data=chunks[0][1:])
            for chunk in chunks[1:]:
                await client.send_to(bytes_data=chunk)
            await client.disconnect(timeout=20)  # ffmpeg sends the rest, then hangs up

        run(scenario)
        listener.wait(timeout=30)  # it exits once its publisher hangs up
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    segments = sorted(out.glob("seg*.ts"))
    assert len(segments) >= 2, list(out.iterdir())
    assert "#EXTINF" in (out / "index.m3u8").read_text()
    assert not browser_ingest.browser_ingest_active(show.pk)
