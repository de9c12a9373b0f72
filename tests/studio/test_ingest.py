"""RTMP ingest: the supervised ffmpeg listener records HLS, refuses wrong keys, survives a kill."""

from __future__ import annotations

import os
import re
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


def push(port: int, key: str, seconds: int, size: str = "320x240") -> subprocess.Popen:
    """A synthetic encoder: test pattern and a sine tone over RTMP, in real time."""
    return subprocess.Popen(  # noqa: S603
        [
            ingest.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "quiet", "-re"),
            *("-f", "lavfi", "-i", f"testsrc=size={size}:rate=15"),
            *("-f", "lavfi", "-i", "sine=frequency=440"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15"),
            *("-c:a", "aac", "-t", str(seconds), "-f", "flv"),
            f"rtmp://127.0.0.1:{port}/live/{key}",
        ],
        stdin=subprocess.DEVNULL,
    )


def push_until(
    port: int, key: str, seconds: int, condition, size: str = "320x240"
) -> subprocess.Popen:
    """Push, and push again while the listener is not up yet (as OBS retries), until done."""
    deadline = time.monotonic() + 60
    encoder = push(port, key, seconds, size)
    while time.monotonic() < deadline:
        if condition():
            return encoder
        if encoder.poll() is not None:
            encoder = push(port, key, seconds, size)
        time.sleep(0.2)
    encoder.kill()
    raise AssertionError("the stream was not recorded")


def segments(show, playlist_name: str = "index.m3u8") -> list[str]:
    playlist = ingest.hls_dir(show.pk) / playlist_name
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


def frame_size(path) -> str:
    """The picture size of a recorded segment, as ffmpeg reads it."""
    probe = subprocess.run(  # noqa: S603
        [ingest.ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    )
    found = re.search(r"Video: .*?, (\d{2,5}x\d{2,5})", probe.stderr)
    assert found, probe.stderr
    return found.group(1)


def test_ladder_records_a_second_smaller_rendition_listed_in_the_master_playlist(
    show, host, supervisor, settings, client
):
    settings.BIZWEEK_STUDIO_LADDER = "1"
    live(show)
    port = wait_for(lambda: ingest.read_health(show.pk).get("port"))
    encoder = push_until(
        port,
        show.stream_key,
        4,
        lambda: len(segments(show)) >= 2 and len(segments(show, "low.m3u8")) >= 2,
        size="640x480",
    )
    encoder.wait(timeout=30)
    out = ingest.hls_dir(show.pk)
    assert frame_size(out / segments(show)[0]) == "640x480"  # never scaled up
    assert frame_size(out / segments(show, "low.m3u8")[0]) == "480x360"

    master = client.get(f"/studio/{show.pk}/hls/master.m3u8")
    assert master.status_code == 200
    variants = [line for line in master.content.decode().splitlines() if line.endswith(".m3u8")]
    assert variants == ["index.m3u8", "low.m3u8"]  # the highest first
    low = client.get(f"/studio/{show.pk}/hls/{segments(show, 'low.m3u8')[0]}")
    assert low.status_code == 200

    services.end(show, by=host)
    wait_for(lambda: show.pk not in supervisor.listeners)
    for name in ("index.m3u8", "low.m3u8"):  # both renditions of the replay are whole
        assert (out / name).read_text().rstrip().endswith("#EXT-X-ENDLIST")


def test_without_the_ladder_the_master_playlist_lists_one_rendition(show, settings, client):
    settings.BIZWEEK_STUDIO_LADDER = "0"
    assert client.get(f"/studio/{show.pk}/hls/master.m3u8").status_code == 404  # nothing yet
    argv = ingest.command(19350, "key", ingest.hls_dir(show.pk))
    assert argv.count("libx264") == 1 and "low.m3u8" not in " ".join(argv)
    out = ingest.hls_dir(show.pk)
    out.mkdir(parents=True)
    (out / "index.m3u8").write_text("#EXTM3U\n")
    master = client.get(f"/studio/{show.pk}/hls/master.m3u8").content.decode()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == ["index.m3u8"]
    assert client.get(f"/studio/{show.pk}/hls/other.m3u8").status_code == 404


def test_falling_behind_real_time_is_told_from_a_pause_and_from_keeping_up():
    """ffmpeg's media time against the wall clock over a few seconds of its progress reports:
    slow for SLOW_SECONDS marks the step-down; an encoder that pauses, or a speed back at
    real time, does not."""
    listener = ingest.Listener(1, "key", 0, ladder=True)
    listener.health = {}
    clock = {"wall": 0.0, "media": 0.0}

    def feed(seconds: float, speed: float) -> None:
        """Progress reports every 0.5 s for `seconds`, media time advancing at `speed`."""
        for _step in range(int(seconds * 2)):
            clock["wall"] += 0.5
            clock["media"] += 0.5 * speed
            listener._track_speed(clock["wall"], int(clock["media"] * 1e6))

    feed(20, 1.0)  # twenty seconds at real time
    assert listener.health["speed"] == 1.0 and not listener.step_down_due
    feed(1.5, 0.8)  # a short hiccup
    assert listener.health["speed"] < 0.95
    feed(10, 1.0)  # caught up: below the threshold for less than SLOW_SECONDS
    assert not listener.step_down_due and listener.health["speed"] == 1.0
    clock["wall"] += 8  # the encoder paused: no frames, no reports, no media time
    feed(10, 1.0)
    assert not listener.step_down_due and listener.health["speed"] == 1.0
    feed(12, 0.8)  # behind for good
    assert listener.step_down_due and listener.step_down_speed == 0.8

    single = ingest.Listener(2, "key", 0, ladder=False)  # nothing to step down from
    single.health = {}
    for step in range(40):
        single._track_speed(step * 0.5, int(step * 0.5 * 0.5 * 1e6))
    assert single.health["speed"] == 0.5 and not single.step_down_due


def test_a_ladder_that_falls_behind_steps_down_to_720p_for_the_rest_of_the_show(
    show, host, supervisor, settings, client, monkeypatch, caplog
):
    """A real listener, told that even real time is too slow, restarts with 720p alone; the
    360p playlist leaves the master playlist; the console's health says when and why."""
    settings.BIZWEEK_STUDIO_LADDER = "1"
    monkeypatch.setattr(ingest, "SLOW_SPEED", 50.0)
    monkeypatch.setattr(ingest, "SLOW_SECONDS", 1.0)
    monkeypatch.setattr(ingest, "SPEED_WINDOW", 1.0)
    live(show)
    port = wait_for(lambda: ingest.read_health(show.pk).get("port"))

    def stepped_and_recording() -> bool:
        health = ingest.read_health(show.pk)
        return bool(
            health.get("stepped_down_at")
            and health.get("renditions") == ["720p"]
            and health.get("state") == "receiving"
            and len(segments(show)) >= 3
        )

    encoder = push_until(port, show.stream_key, 30, stepped_and_recording)  # OBS reconnects
    encoder.kill()
    encoder.wait()
    listener = supervisor.listeners[show.pk]
    assert listener.ladder is False and listener.restarts >= 1
    out = ingest.hls_dir(show.pk)
    assert not (out / "low.m3u8").exists()
    assert (out / "low-stopped.m3u8").read_text().rstrip().endswith("#EXT-X-ENDLIST")
    master = client.get(f"/studio/{show.pk}/hls/master.m3u8").content.decode()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == ["index.m3u8"]
    assert any("stepping down to one rendition" in r.getMessage() for r in caplog.records)
    client.force_login(host)
    health = client.get(f"/studio/{show.pk}/health.json").json()
    assert health["renditions_label"].startswith("720p only: stepped down at")
    assert "720p only" in client.get(f"/studio/{show.pk}/console/").content.decode()
    # A new key restarts the listener: still one rendition (the machine has not got faster).
    services.regenerate_key(show, by=host)
    wait_for(lambda: supervisor.listeners[show.pk].key == show.stream_key)
    assert supervisor.listeners[show.pk].ladder is False
    assert ingest.read_health(show.pk)["renditions"] == ["720p"]
