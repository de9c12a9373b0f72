"""RTMP ingest: the supervised ffmpeg listener records HLS, refuses wrong keys, survives a kill."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from bizweek.studio import ingest, services
from bizweek.studio.models import SessionState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _studio_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    low, _sep, high = os.environ.get("BIZWEEK_TEST_INGEST_PORTS", "8260-8269").partition("-")
    settings.BIZWEEK_RTMP_PORTS = (int(low), int(high))


@pytest.fixture
def supervisor():
    running = ingest.Supervisor(interval=0.2).start()
    yield running
    running.stop()


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def push(port: int, key: str, seconds: int) -> subprocess.Popen:
    """A synthetic encoder: test pattern and a sine tone over RTMP, in real time."""
    return subprocess.Popen(  # noqa: S603
        [
            ingest.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "quiet", "-re"),
            *("-f", "lavfi", "-i", "testsrc=size=320x240:rate=15"),
            *("-f", "lavfi", "-i", "sine=frequency=440"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15"),
            *("-c:a", "aac", "-t", str(seconds), "-f", "flv"),
            f"rtmp://127.0.0.1:{port}/live/{key}",
        ],
        stdin=subprocess.DEVNULL,
    )


def push_until(port: int, key: str, seconds: int, condition) -> subprocess.Popen:
    """Push, and push again while the listener is not up yet (as OBS retries), until done."""
    deadline = time.monotonic() + 60
    encoder = push(port, key, seconds)
    while time.monotonic() < deadline:
        if condition():
            return encoder
        if encoder.poll() is not None:
            encoder = push(port, key, seconds)
        time.sleep(0.2)
    encoder.kill()
    raise AssertionError("the stream was not recorded")


def segments(show) -> list[str]:
    playlist = ingest.hls_dir(show.pk) / "index.m3u8"
    if not playlist.exists():
        return []
    return [line for line in playlist.read_text().splitlines() if line.endswith(".ts")]


def live(show):
    show.state = SessionState.LIVE
    show.save()
    return show


def test_stream_with_the_key_is_recorded_and_a_wrong_or_old_key_refused(show, host, supervisor):
    live(show)
    health = wait_for(
        lambda: ingest.read_health(show.pk).get("port") and ingest.read_health(show.pk)
    )
    port = health["port"]
    wrong = push(port, "not-the-key", 3)
    wait_for(lambda: ingest.read_health(show.pk).get("refused", 0) >= 1)
    wrong.kill()
    assert segments(show) == []

    encoder = push_until(port, show.stream_key, 4, lambda: len(segments(show)) >= 2)
    wait_for(lambda: ingest.read_health(show.pk).get("frames", 0) > 0)  # the console's health
    encoder.wait(timeout=30)

    old_key = show.stream_key
    services.regenerate_key(show, by=host)
    wait_for(
        lambda: supervisor.listeners.get(show.pk) and supervisor.listeners[show.pk].key != old_key
    )
    recorded = len(segments(show))
    refused = ingest.read_health(show.pk).get("refused", 0)
    stale = push_until(
        port, old_key, 3, lambda: ingest.read_health(show.pk).get("refused", 0) > refused
    )
    stale.kill()
    assert len(segments(show)) == recorded


def test_killed_ffmpeg_is_restarted_without_losing_the_recording(show, supervisor):
    import os
    import signal

    live(show)
    port = wait_for(lambda: ingest.read_health(show.pk).get("port"))
    encoder = push_until(port, show.stream_key, 30, lambda: len(segments(show)) >= 2)
    listener = supervisor.listeners[show.pk]
    os.kill(listener.process.pid, signal.SIGKILL)
    wait_for(lambda: listener.restarts >= 1)
    encoder.kill()
    encoder.wait()
    before = segments(show)
    assert before, "what was recorded before the crash is still there"
    encoder = push_until(port, show.stream_key, 4, lambda: len(segments(show)) >= len(before) + 2)
    encoder.kill()
    after = segments(show)
    assert after[: len(before)] == before
    assert all((ingest.hls_dir(show.pk) / name).exists() for name in after)


def test_ended_show_closes_its_playlist_for_replay(show, host, supervisor):
    live(show)
    port = wait_for(lambda: ingest.read_health(show.pk).get("port"))
    encoder = push_until(port, show.stream_key, 3, lambda: len(segments(show)) >= 2)
    encoder.wait(timeout=30)
    services.end(show, by=host)
    wait_for(lambda: show.pk not in supervisor.listeners)
    assert (ingest.hls_dir(show.pk) / "index.m3u8").read_text().rstrip().endswith("#EXT-X-ENDLIST")


def test_restream_reaches_a_destination_and_its_failure_leaves_the_show_live(
    show, host, supervisor, tmp_path
):
    received = tmp_path / "restream.ts"
    with socket.socket() as probe:  # a free port outside the ingest range
        probe.bind(("127.0.0.1", 0))
        url = f"rtmp://127.0.0.1:{probe.getsockname()[1]}/live/yt-key"
    destination = subprocess.Popen(  # noqa: S603  (a second local RTMP server: "YouTube")
        [
            ingest.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "quiet", "-listen", "1"),
            *("-i", url, "-c", "copy", "-f", "mpegts"),
            str(received),
        ],
        stdin=subprocess.DEVNULL,
    )
    try:
        services.add_destination(show, "YouTube", url, by=host)
        live(show)
        port = wait_for(lambda: ingest.read_health(show.pk).get("port"))
        encoder = push_until(port, show.stream_key, 40, lambda: len(segments(show)) >= 2)
        wait_for(lambda: received.exists() and received.stat().st_size > 50_000)
        wait_for(lambda: ingest.read_health(show.pk)["destinations"][0]["status"] == "sending")
        destination.kill()
        wait_for(lambda: ingest.read_health(show.pk)["destinations"][0]["status"] == "failed")
        recorded = len(segments(show))
        wait_for(lambda: len(segments(show)) >= recorded + 3)  # the show goes on
        assert supervisor.listeners[show.pk].restarts == 0
        encoder.kill()
    finally:
        destination.kill()


def test_restream_address_is_checked(show, host):
    from django.core.exceptions import ValidationError

    for bad in ("http://example.test/live", "rtmp://x/live/a|b", "rtmp://x/live/[a]"):
        with pytest.raises(ValidationError):
            services.add_destination(show, "Bad", bad, by=host)
    assert not show.destinations.exists()
