"""RTMP ingest to HLS: one supervised ffmpeg listener per live show.

ffmpeg (the static binary of the imageio-ffmpeg wheel) listens with `-listen 1` on
rtmp://host:port/live/<key>, transcodes to H.264/AAC and writes HLS with 1 s segments into the
show's directory, every segment kept in the playlist: the recording is the playlist. A listener
exits when its publisher disconnects; the supervisor starts it again at once, and
`append_list` continues the same playlist, so a crash or an encoder reconnect never loses what
was recorded (the gap is marked with a discontinuity).

ffmpeg's listener accepts any stream name and only warns ("Unexpected stream X, expecting
KEY"): the supervisor reads its log and kills a listener the moment a wrong key connects, before
any segment is written, and starts a fresh one. A regenerated key restarts the listener with
the new key.

The supervisor runs as a thread in `bizweek serve`'s main process (`start_supervisor`), or in
`bizweek studio-ingest`. Health (state, bitrate, frame rate, dropped frames, last data, restarts,
port) goes to the cache, where the console reads it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.utils import timezone

from .models import BroadcastSession, RestreamDestination, SessionState

log = logging.getLogger(__name__)

SLAVE_FAILED = re.compile(r"Slave muxer #(\d+) failed: (.*?)(?:, continuing|$)")
REFUSED_PATTERNS = ("Unexpected stream", "App field don't match up")
STALL_SECONDS = 8.0  # no new frame for this long while receiving: the encoder is dead
HEALTH_TTL = 30
# Falling behind real time: ffmpeg's media time advancing slower than the wall clock, measured
# over SPEED_WINDOW seconds of its progress reports (its own `speed=` is an average since the
# start, which after an hour at 1.0x hardly moves). Below SLOW_SPEED for SLOW_SECONDS on
# end, the ladder steps down to 720p alone, for the rest of the show.
SPEED_WINDOW = 4.0
SLOW_SPEED = 0.95
SLOW_SECONDS = 5.0
PAUSE_SECONDS = 2.0  # no progress report for this long: the encoder paused, not ffmpeg slow
STOPPED_SUFFIX = "-stopped.m3u8"  # a rendition dropped mid-show: kept on disk, not offered


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def hls_dir(session_id: int) -> Path:
    return Path(settings.DATA_DIR) / "studio" / str(int(session_id))


def health_key(session_id: int) -> str:
    return f"studio:health:{session_id}"


def read_health(session_id: int) -> dict:
    return cache.get(health_key(session_id)) or {"state": "offline"}


def _port_free(port: int) -> bool:
    """Another program (a second Bizweek, a leftover encoder) may hold a port of the range:
    ffmpeg would then fail with "Address already in use" and the show would never go live."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.BIZWEEK_RTMP_LISTEN_HOST, port))
        except OSError:
            return False
    return True


def rtmp_port(session_id: int, taken: set[int]) -> int:
    low, high = settings.BIZWEEK_RTMP_PORTS
    span = high - low + 1
    for step in range(span):
        port = low + (session_id + step) % span
        if port not in taken and _port_free(port):
            return port
    raise RuntimeError("no free RTMP port")


HLS_FLAGS = "append_list+independent_segments+discont_start+program_date_time"


def _output(out: Path, destinations: tuple[str, ...]) -> list[str]:
    """HLS alone, or HLS plus each restream destination through ffmpeg's tee muxer, where a
    destination that fails (`onfail=ignore`) is dropped and the rest go on."""
    playlist, segment = str(out / "index.m3u8"), str(out / "seg%06d.ts")
    if not destinations:
        return _hls(out, "index.m3u8", "seg%06d.ts")
    hls = (
        f"[f=hls:hls_time=1:hls_list_size=0:hls_flags={HLS_FLAGS}:"
        f"hls_segment_filename={segment}]{playlist}"
    )
    slaves = [hls, *(f"[f=flv:onfail=ignore]{url}" for url in destinations)]
    return ["-flags", "+global_header", "-f", "tee", "|".join(slaves)]


# The renditions, highest first: (height cap, video bit rate, playlist, segment pattern). The
# first is the show's playlist of record (index.m3u8: replay, chapters, restreaming); the 360p
# one is added when the ladder is on (`BIZWEEK_STUDIO_LADDER`, see `ladder_enabled`).
RENDITIONS = (
    (720, "2500k", "index.m3u8", "seg%06d.ts"),
    (360, "800k", "low.m3u8", "low%06d.ts"),
)


def ladder_enabled() -> bool:
    """720p + 360p, or 720p alone. "auto": the ladder from 2 cores, one rendition on a single
    core. Measured by bench/live_latency.py on 2 shared cores: one show's ffmpeg takes about
    0.2 of a core for 720p and 0.35 for 720p + 360p (docs/decisions.md)."""
    setting = str(settings.BIZWEEK_STUDIO_LADDER).lower()
    if setting == "auto":
        return len(os.sched_getaffinity(0)) >= 2
    return setting in {"1", "true", "yes", "on"}


def _encode(height: int, bitrate: str) -> list[str]:
    """H.264 veryfast/zerolatency, a keyframe every second (1 s segments), AAC 128k."""
    return [
        *("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"),
        *("-pix_fmt", "yuv420p", "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate),
        *("-force_key_frames", "expr:gte(t,n_forced*1)", "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "128k" if height > 360 else "96k", "-ar", "44100"),
    ]


def _hls(out: Path, playlist: str, segment: str) -> list[str]:
    return [
        *("-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_flags", HLS_FLAGS),
        *("-hls_segment_filename", str(out / segment), str(out / playlist)),
    ]


def command(
    port: int,
    key: str,
    out: Path,
    destinations: tuple[str, ...] = (),
    ladder: bool | None = None,
) -> list[str]:
    """The listener: RTMP in, HLS out (1 s segments, a keyframe every second, H.264/AAC); one
    decode feeding one x264 encode per rendition."""
    listen = settings.BIZWEEK_RTMP_LISTEN_HOST
    renditions = RENDITIONS if (ladder_enabled() if ladder is None else ladder) else RENDITIONS[:1]
    argv = [
        ffmpeg_exe(),
        *("-hide_banner", "-nostats", "-loglevel", "warning", "-progress", "pipe:1"),
        *("-listen", "1", "-i", f"rtmp://{listen}:{port}/live/{key}"),
    ]
    if len(renditions) == 1:
        return [
            *argv,
            *("-map", "0:v:0", "-map", "0:a:0?", "-vf", "scale=-2:'min(720,ih)'"),
            *_encode(720, RENDITIONS[0][1]),
            *_output(out, destinations),
        ]
    labels = [f"v{height}" for height, *_rest in renditions]
    graph = f"[0:v:0]split={len(renditions)}" + "".join(f"[s{label}]" for label in labels)
    for (height, *_rest), label in zip(renditions, labels, strict=True):
        graph += f";[s{label}]scale=-2:'min({height},ih)'[{label}]"
    argv += ["-filter_complex", graph]
    for index, ((height, bitrate, playlist, segment), label) in enumerate(
        zip(renditions, labels, strict=True)
    ):
        argv += ["-map", f"[{label}]", "-map", "0:a:0?", *_encode(height, bitrate)]
        argv += _output(out, destinations) if index == 0 else _hls(out, playlist, segment)
    return argv


def master_playlist(session_id: int) -> str | None:
    """The master playlist players load: every rendition recorded so far, highest first (a
    show recorded before the ladder, or with it off, has index.m3u8 alone)."""
    out = hls_dir(session_id)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for height, bitrate, playlist, _segment in RENDITIONS:
        if (out / playlist).exists():
            bandwidth = (int(bitrate.rstrip("k")) + 128) * 1000
            width = height * 16 // 9
            lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}")
            lines.append(playlist)
    return "\n".join(lines) + "\n" if len(lines) > 3 else None


@dataclass
class Listener:
    session_id: int
    key: str
    port: int
    destinations: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    restarts: int = 0
    health: dict = field(default_factory=dict)
    ladder: bool = field(default_factory=lambda: ladder_enabled())
    stepped_down_at: str | None = None
    step_down_speed: float | None = None
    step_down_due: bool = False
    slow_since: float = 0.0
    samples: deque = field(default_factory=deque)  # (wall clock, ffmpeg's out_time in µs)
    last_frame: int = -1
    last_frame_at: float = 0.0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        out = hls_dir(self.session_id)
        out.mkdir(parents=True, exist_ok=True)
        self.last_frame, self.last_frame_at = -1, 0.0
        self.samples.clear()
        self.slow_since, self.step_down_due = 0.0, False
        heights = [height for height, *_rest in RENDITIONS[: 2 if self.ladder else 1]]
        self.health = {
            "state": "waiting",
            "port": self.port,
            "restarts": self.restarts,
            "refused": self.refused,
            "renditions": [f"{height}p" for height in heights],
            "stepped_down_at": self.stepped_down_at,
            "step_down_speed": self.step_down_speed,
            "speed": None,
            "fps": 0.0,
            "bitrate_kbps": 0.0,
            "dropped_frames": 0,
            "frames": 0,
            "last_data_at": None,
            "destinations": [
                {"name": name, "status": "waiting", "error": ""} for name in self.names
            ],
        }
        self.process = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            command(self.port, self.key, out, self.destinations, ladder=self.ladder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read_progress, args=(self.process,), daemon=True).start()
        threading.Thread(target=self._read_log, args=(self.process,), daemon=True).start()
        self.publish()

    def publish(self) -> None:
        cache.set(health_key(self.session_id), dict(self.health), HEALTH_TTL)

    def _read_progress(self, process: subprocess.Popen) -> None:
        block: dict[str, str] = {}
        for line in process.stdout or []:
            name, _sep, value = line.strip().partition("=")
            block[name] = value
            if name != "progress":
                continue
            with self.lock:
                self._update(block)
            block = {}

    def _update(self, block: dict[str, str]) -> None:
        try:
            frame = int(block.get("frame", "0") or 0)
        except ValueError:
            frame = 0
        now = time.time()
        if frame != self.last_frame:
            self.last_frame, self.last_frame_at = frame, now
            self.health["last_data_at"] = timezone.now().isoformat()
        bitrate = re.match(r"([\d.]+)", block.get("bitrate", "") or "")
        for destination in self.health.get("destinations", []):
            if destination["status"] == "waiting":
                destination["status"] = "sending"
        self.health.update(
            state="receiving",
            frames=frame,
            fps=_float(block.get("fps")),
            bitrate_kbps=float(bitrate.group(1)) if bitrate else recent_kbps(self.session_id),
            dropped_frames=int(_float(block.get("drop_frames"))),
        )
        self._track_speed(now, int(_float(block.get("out_time_us") or block.get("out_time_ms"))))
        self.publish()

    def _track_speed(self, now: float, out_us: int) -> None:
        """ffmpeg's speed over the last few seconds; marks the step-down due when the ladder
        has run slower than real time for SLOW_SECONDS (`check` carries it out)."""
        if out_us <= 0:
            return
        if self.samples and now - self.samples[-1][0] > PAUSE_SECONDS:
            self.samples.clear()  # the encoder paused: no frames came, nothing to keep up with
            self.slow_since = 0.0
        self.samples.append((now, out_us))
        while now - self.samples[0][0] > SPEED_WINDOW:
            self.samples.popleft()
        since, first_us = self.samples[0]
        if now - since < SPEED_WINDOW / 2:
            return
        speed = (out_us - first_us) / 1e6 / (now - since)
        self.health["speed"] = round(speed, 2)
        if not self.ladder or speed >= SLOW_SPEED:
            self.slow_since = 0.0
            return
        self.slow_since = self.slow_since or now
        if now - self.slow_since >= SLOW_SECONDS and not self.step_down_due:
            self.step_down_due = True
            self.step_down_speed = round(speed, 2)

    def _read_log(self, process: subprocess.Popen) -> None:
        for line in process.stderr or []:
            if any(pattern in line for pattern in REFUSED_PATTERNS):
                # A wrong (or old) key: hang up before a single frame is recorded.
                process.kill()
                with self.lock:
                    self.refused += 1
                    self.health["refused"] = self.refused
                    self.health["last_refused_at"] = timezone.now().isoformat()
                    self.publish()
                log.warning("studio %s: refused a stream with a wrong key", self.session_id)
            elif failed := SLAVE_FAILED.search(line):
                # Slave 0 is the HLS output; 1… are the restream destinations in order.
                index = int(failed.group(1)) - 1
                with self.lock:
                    if 0 <= index < len(self.health["destinations"]):
                        self.health["destinations"][index].update(
                            status="failed", error=failed.group(2)[:200]
                        )
                        self.publish()
                log.warning("studio %s: restream %s failed", self.session_id, index + 1)
            elif line.strip():
                log.info("studio %s ffmpeg: %s", self.session_id, line.rstrip())

    def check(self) -> None:
        """Restart a listener that exited (publisher gone, crash, refused key) or stalled."""
        process = self.process
        if process is None:
            return
        if process.poll() is None and self.step_down_due:
            self._step_down(process)
            return
        if process.poll() is None:
            stalled = (
                self.health.get("state") == "receiving"
                and self.last_frame_at
                and time.time() - self.last_frame_at > STALL_SECONDS
            )
            if not stalled:
                self.publish()
                return
            log.warning("studio %s: encoder stalled, restarting the listener", self.session_id)
            process.kill()
            process.wait()
        self.restarts += 1
        self.start()

    def _step_down(self, process: subprocess.Popen) -> None:
        """One rendition from now on: the listener restarts with 720p alone (its encoder
        reconnects, as after a new key; the browser ingest is told to resend), and the 360p
        playlist leaves the master playlist, live and in the replay."""
        log.warning(
            "studio %s: ffmpeg fell behind real time (%.2fx for %.0f s): stepping down to "
            "one rendition (720p only)",
            self.session_id,
            self.step_down_speed or 0.0,
            SLOW_SECONDS,
        )
        self.ladder = False
        self.stepped_down_at = timezone.now().isoformat()
        self.health["stepped_down_at"] = self.stepped_down_at
        self.publish()  # before the kill: the browser ingest reads it when its push fails
        process.kill()
        process.wait()
        retire_renditions(self.session_id)
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        process = self.process
        self.process = None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # ffmpeg closes the playlist cleanly
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        cache.delete(health_key(self.session_id))


def just_stepped_down(health: dict, within: float = 20.0) -> bool:
    """Whether the listener restarted a moment ago to step down (its publisher was cut off)."""
    at = health.get("stepped_down_at")
    if not at:
        return False
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return False
    return (timezone.now() - moment).total_seconds() < within


def retire_renditions(session_id: int) -> None:
    """Take the lower renditions out of the master playlist: their playlists stop growing,
    so a player must not pick them (live) nor find a replay that stops halfway."""
    out = hls_dir(session_id)
    for _height, _bitrate, name, _segment in RENDITIONS[1:]:
        playlist = out / name
        if playlist.exists():
            text = playlist.read_text()
            if "#EXT-X-ENDLIST" not in text:
                text = text.rstrip("\n") + "\n#EXT-X-ENDLIST\n"
            (out / name.replace(".m3u8", STOPPED_SUFFIX)).write_text(text)
            playlist.unlink()


def recent_kbps(session_id: int, count: int = 5) -> float:
    """The output bit rate from the last segments (1 s each); the HLS muxer reports none."""
    try:
        sizes = sorted(hls_dir(session_id).glob("seg*.ts"))[-count:]
        total = sum(path.stat().st_size for path in sizes)
    except OSError:
        return 0.0
    return round(total * 8 / 1000 / max(1, len(sizes)), 1)


def finish_recording(session_id: int) -> None:
    """Close the playlists of an ended show so players treat them as a whole recording."""
    for _height, _bitrate, name, _segment in RENDITIONS:
        playlist = hls_dir(session_id) / name
        if playlist.exists():
            text = playlist.read_text()
            if "#EXT-X-ENDLIST" not in text:
                playlist.write_text(text.rstrip("\n") + "\n#EXT-X-ENDLIST\n")


def recording_started_at(session_id: int) -> datetime | None:
    """When the recording's first segment began (its EXT-X-PROGRAM-DATE-TIME): replay time 0."""
    playlist = hls_dir(session_id) / "index.m3u8"
    if not playlist.exists():
        return None
    with playlist.open() as lines:
        for line in lines:
            if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                value = line.split(":", 1)[1].strip()
                try:
                    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
                except ValueError:
                    return None
    return None


class Supervisor:
    """Keeps one listener per live show, with that show's current key."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.listeners: dict[int, Listener] = {}
        self.stepped_down: dict[int, tuple[str | None, float | None]] = {}  # for the show's rest
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync(self) -> None:
        close_old_connections()
        keys = dict(
            BroadcastSession.objects.filter(state=SessionState.LIVE).values_list("pk", "stream_key")
        )
        targets: dict[int, list[tuple[str, str]]] = {}
        for session_id, name, url in RestreamDestination.objects.filter(
            session_id__in=keys
        ).values_list("session_id", "name", "url"):
            targets.setdefault(session_id, []).append((name, url))
        live = {
            pk: (
                key,
                tuple(url for _n, url in targets.get(pk, [])),
                tuple(n for n, _u in targets.get(pk, [])),
            )
            for pk, key in keys.items()
        }
        for session_id in list(self.listeners):
            listener = self.listeners[session_id]
            if session_id not in live or live[session_id][:2] != (
                listener.key,
                listener.destinations,
            ):
                listener.stop()
                del self.listeners[session_id]
                if session_id not in live:
                    finish_recording(session_id)
                    self.stepped_down.pop(session_id, None)
        for session_id, (key, urls, names) in live.items():
            if session_id not in self.listeners:
                taken = {listener.port for listener in self.listeners.values()}
                port = rtmp_port(session_id, taken)
                listener = Listener(session_id, key, port, destinations=urls, names=names)
                if session_id in self.stepped_down:  # a new key or destination: still 720p
                    listener.ladder = False
                    listener.stepped_down_at, listener.step_down_speed = self.stepped_down[
                        session_id
                    ]
                self.listeners[session_id] = listener
                listener.start()
            else:
                listener = self.listeners[session_id]
                listener.check()
                if listener.stepped_down_at:
                    self.stepped_down[session_id] = (
                        listener.stepped_down_at,
                        listener.step_down_speed,
                    )

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:
                log.exception("studio ingest supervisor")
            self._stop.wait(self.interval)
        for listener in self.listeners.values():
            listener.stop()
        self.listeners.clear()
        connection.close()  # this thread's own database connection

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self.run, name="studio-ingest", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _float(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def start_supervisor() -> Supervisor | None:
    if not settings.BIZWEEK_STUDIO_INGEST or shutil.which(ffmpeg_exe()) is None:
        return None
    return Supervisor().start()
