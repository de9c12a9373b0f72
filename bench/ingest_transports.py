"""Browser ingest: MediaRecorder chunks over a WebSocket into ffmpeg, or WebRTC into aiortc?

The same fake camera (Chromium's `--use-fake-device-for-media-stream`, 1280x720 at its own 20 fps,
with its fake microphone) is sent both ways to the same kind of sink, a show's RTMP listener
(`studio.ingest.command`, which writes HLS with 1 s segments):

  (a) ws:     MediaRecorder (WebM VP8+Opus, 250 ms chunks) -> binary WebSocket frames -> the
              real `BrowserIngestConsumer` (its show lookup replaced by a fixed live show) ->
              ffmpeg (`push_command`: VP8 decode, libx264 ultrafast, AAC) -> RTMP listener.
  (b) webrtc: RTCPeerConnection -> aiortc (DTLS/SRTP, jitter buffer, VP8/Opus decode in Python's
              process) -> PyAV libx264 ultrafast + AAC into FLV -> RTMP listener.

Both end in the same encoder settings, so the difference is the transport and the decode.
Measured per run: seconds from "start" in the page to the listener's first HLS segment, and the
CPU of the ingest server process tree (the server and its ffmpeg; the listener, common to both,
is reported apart) per second of video over a steady window.

Needs the optional `bench` extra (aiortc) for (b). Run under the shared benchmark lock:

    flock /tmp/bizweek-bench.lock .venv/bin/python bench/ingest_transports.py --runs 2 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, git_head, loadavg, machine

CHROMIUM = os.environ.get("BIZWEEK_CHROMIUM", "/usr/bin/chromium")
RESULTS = ROOT / "bench" / "results" / "ingest_transports.json"
KEY = "benchkey"
TICKS = os.sysconf("SC_CLK_TCK")

PAGE = """<!doctype html><meta charset="utf-8"><title>ingest bench</title><body><script>
let stream, socket, recorder, pc;
async function camera() {
  stream = await navigator.mediaDevices.getUserMedia({
    video: {width: 1280, height: 720, frameRate: 25}, audio: true});
}
window.startWs = async (url) => {
  await camera();
  socket = new WebSocket(url); socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => {
    if (JSON.parse(event.data).type !== "ready") return;
    recorder = new MediaRecorder(stream, {mimeType: "video/webm;codecs=vp8,opus",
                                          videoBitsPerSecond: 2500000});
    recorder.ondataavailable = (e) => { if (e.data.size) socket.send(e.data); };
    recorder.start(250);
  };
};
window.startRtc = async (url) => {
  await camera();
  pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    const sender = pc.addTrack(track, stream);
    if (track.kind !== "video") continue;
    // As MediaRecorder does: keep the camera's picture size rather than adapt it down.
    const params = sender.getParameters();
    params.degradationPreference = "maintain-resolution";
    await sender.setParameters(params);
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
  });
  const answer = await fetch(url, {method: "POST", body: JSON.stringify(pc.localDescription)});
  await pc.setRemoteDescription(await answer.json());
};
window.stopAll = () => {
  if (recorder) recorder.stop();
  if (socket) socket.close();
  if (pc) pc.close();
  for (const track of stream.getTracks()) track.stop();
};
</script>"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the servers (run in a child process, so that their CPU can be measured alone) ------------


async def _http(send, status: int, body: bytes, content_type: str) -> None:  # noqa: ANN001
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(transport: str, port: int, rtmp_port: int) -> None:
    import logging

    import django

    django.setup()
    import uvicorn

    logging.getLogger("aioice").setLevel(logging.WARNING)

    from bizweek.studio import browser_ingest, ingest

    rtmp_url = f"rtmp://127.0.0.1:{rtmp_port}/live/{KEY}"
    show = SimpleNamespace(state="live", stream_key=KEY)
    browser_ingest.BrowserIngestConsumer._session_and_permission = lambda self: (show, True)
    consumer = browser_ingest.BrowserIngestConsumer.as_asgi()
    peers: set = set()

    async def offer(body: bytes) -> dict:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        description = json.loads(body)
        pc = RTCPeerConnection()
        peers.add(pc)
        sink = FlvSink(rtmp_url)

        @pc.on("track")
        def on_track(track) -> None:  # noqa: ANN001
            sink.add(track)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in {"failed", "closed"}:
                await sink.stop()
                await pc.close()
                peers.discard(pc)

        await pc.setRemoteDescription(RTCSessionDescription(**description))
        await pc.setLocalDescription(await pc.createAnswer())
        sink.start_when_ready(pc)
        return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    # What the supervisor publishes while the show's listener waits.
                    from django.core.cache import cache

                    cache.set(ingest.health_key(1), {"state": "waiting", "port": rtmp_port}, None)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return None
        if scope["type"] == "websocket":
            user = SimpleNamespace(is_authenticated=True, language="en")
            scope = dict(scope, user=user, url_route={"kwargs": {"session_id": 1}})
            return await consumer(scope, receive, send)
        if scope["path"] == "/offer":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            answer = await offer(body)
            return await _http(send, 200, json.dumps(answer).encode(), "application/json")
        return await _http(send, 200, PAGE.encode(), "text/html")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_max_size=1 << 20)


class FlvSink:
    """aiortc's frames -> libx264 ultrafast/zerolatency + AAC -> FLV over RTMP (as push_command)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tracks: dict[str, object] = {}
        self.tasks: list[asyncio.Task] = []
        self.container = None

    def add(self, track) -> None:  # noqa: ANN001
        self.tracks[track.kind] = track

    def start_when_ready(self, pc) -> None:  # noqa: ANN001
        self.tasks.append(asyncio.get_running_loop().create_task(self._run()))

    async def _run(self) -> None:
        import av

        while "video" not in self.tracks:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the audio track arrives with the video
        video_track = self.tracks["video"]
        first = await video_track.recv()
        self.container = av.open(self.url, mode="w", format="flv")
        video = self.container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = first.width, first.height, "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "20", "g": "50"}
        streams = {"video": video}
        if "audio" in self.tracks:
            audio = self.container.add_stream("aac", rate=44100)
            audio.bit_rate = 128_000
            streams["audio"] = audio
        lock = asyncio.Lock()

        async def pump(kind: str, frame=None) -> None:  # noqa: ANN001
            track, stream = self.tracks[kind], streams[kind]
            if kind == "audio":
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=44100)
            while True:
                if frame is None:
                    try:
                        frame = await track.recv()
                    except Exception:
                        return
                frames = resampler.resample(frame) if kind == "audio" else [frame]
                for item in frames:
                    if kind == "video":
                        item = item.reformat(format="yuv420p")
                    packets = stream.encode(item)
                    async with lock:
                        for packet in packets:
                            self.container.mux(packet)
                frame = None

        self.tasks.append(asyncio.get_running_loop().create_task(pump("video", first)))
        if "audio" in streams:
            self.tasks.append(asyncio.get_running_loop().create_task(pump("audio")))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.container is not None:
            with contextlib.suppress(Exception):  # the listener may have hung up first
                self.container.close()


# --- the measurement -----------------------------------------------------------------------


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def video_of(segments: list[Path]) -> dict:
    """Picture size and frames per second that the listener wrote: either transport may send
    less than the camera gives (WebRTC adapts its picture size; an encoder under load drops
    frames)."""
    from bizweek.studio import ingest

    size, frames = "?", 0
    for segment in segments:
        probe = subprocess.run(  # noqa: S603
            [
                *(ingest.ffmpeg_exe(), "-hide_banner", "-i", str(segment), "-map", "0:v:0"),
                *("-c", "copy", "-f", "null", "-"),
            ],
            capture_output=True,
            text=True,
        )
        last = 0  # ffmpeg may print its progress line more than once: the last one counts
        for line in probe.stderr.replace("\r", "\n").splitlines():
            if "Video:" in line:
                for part in line.split(","):
                    word = part.strip().split(" ")[0]
                    if "x" in word and word.replace("x", "").isdigit():
                        size = word
            if line.startswith("frame="):
                count = line.split("=", 1)[1].split()[0]
                last = int(count) if count.isdigit() else last
        frames += last
    return {"size": size, "fps": round(frames / max(1, len(segments)), 1)}


def listener(rtmp_port: int, out: Path) -> subprocess.Popen:
    from bizweek.studio import ingest

    return subprocess.Popen(  # noqa: S603
        ingest.command(rtmp_port, KEY, out),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def one_run(browser, transport: str, seconds: float, work: Path, index: int) -> dict:  # noqa: ANN001
    port, rtmp_port = free_port(), free_port()
    out = work / f"{transport}-{index}"
    out.mkdir()
    sink = listener(rtmp_port, out)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--serve", transport, str(port), str(rtmp_port)],
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="bizweek.settings"),
        start_new_session=True,
    )
    page = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{transport} server did not start") from None
                time.sleep(0.1)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        started = time.monotonic()
        if transport == "ws":
            page.evaluate(f"startWs('ws://127.0.0.1:{port}/ws/studio/1/ingest/')")
        else:
            page.evaluate(f"startRtc('http://127.0.0.1:{port}/offer')")
        while not list(out.glob("seg*.ts")):
            if time.monotonic() - started > 60:
                raise RuntimeError(f"{transport}: no HLS segment within 60 s")
            time.sleep(0.02)
        first_segment = time.monotonic() - started
        time.sleep(2)  # past the start-up
        cpu0, sink0, t0 = tree_cpu(server.pid), tree_cpu(sink.pid), time.monotonic()
        segments0 = len(list(out.glob("seg*.ts")))
        time.sleep(seconds)
        cpu1, sink1, t1 = tree_cpu(server.pid), tree_cpu(sink.pid), time.monotonic()
        segments1 = len(list(out.glob("seg*.ts")))
        page.evaluate("stopAll()")
        wall = t1 - t0
        video = video_of(sorted(out.glob("seg*.ts"))[segments0:segments1])
        return {
            "transport": transport,
            "start_to_first_segment_s": round(first_segment, 2),
            "window_s": round(wall, 1),
            "segments_in_window": segments1 - segments0,
            "video_in_window": video,
            "ingest_cpu_per_video_s": round((cpu1 - cpu0) / wall, 3),
            "listener_cpu_per_video_s": round((sink1 - sink0) / wall, 3),
            "loadavg_after": loadavg(),
        }
    finally:
        if page is not None:
            page.close()
        stop(server)
        stop(sink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="runs per transport (alternating)")
    parser.add_argument("--seconds", type=float, default=15.0, help="steady window per run")
    parser.add_argument("--transports", default="ws,webrtc", help="comma-separated")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    os.environ["BIZWEEK_DATA_DIR"] = str(work)
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    transports = args.transports.split(",")
    try:
        import aiortc  # noqa: F401
    except ImportError:
        transports = [name for name in transports if name != "webrtc"]
        print("aiortc is not installed (pip install -e '.[bench]'): measuring ws only")
    before = loadavg()
    runs: list[dict] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        )
        for index in range(args.runs):
            for transport in transports:
                try:
                    run = one_run(browser, transport, args.seconds, work, index)
                except Exception as error:
                    errors.append(f"{transport} run {index}: {error}")
                    print(errors[-1])
                    continue
                print(json.dumps(run))
                runs.append(run)
        browser.close()
    summary = {}
    for transport in transports:
        mine = [run for run in runs if run["transport"] == transport]
        if mine:
            summary[transport] = {
                key: round(sum(run[key] for run in mine) / len(mine), 3)
                for key in (
                    "start_to_first_segment_s",
                    "ingest_cpu_per_video_s",
                    "listener_cpu_per_video_s",
                )
            }
            summary[transport]["runs"] = len(mine)
    result = {
        "benchmark": "ingest_transports",
        "source": "Chromium fake camera 1280x720 (20 fps, its own rate) + fake microphone",
        "note": (
            "video_in_window is what the listener wrote; the camera gives 20 fps. From the"
            " WebRTC path it wrote 25 (this bench's PyAV sink declares 25 fps; the cause was"
            " not looked into), from MediaRecorder the camera's 20"
        ),
        "runs_per_transport": args.runs,
        "window_s": args.seconds,
        "summary": summary,
        "runs": runs,
        "errors": errors,
        "machine": machine(),
        "shared_machine": True,
        "loadavg_before": before,
        "loadavg_after": loadavg(),
        **git_head(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
