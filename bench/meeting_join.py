"""Meeting rooms benchmark: time to the first decoded remote video frame, and signaling load.

1. Joins: a real `bizweek serve` (uvicorn, Channels) with a meeting under way; the seller
   waits in the room in headless Chromium (fake camera); `--joins` times a buyer opens the room
   page in a fresh browser context, clicks "Join" once the preview runs (as a person does) and
   the clock stops at the first remote video frame decoded (getStats inbound-rtp
   framesDecoded > 0), measured in the page from the start of the navigation. The floor,
   measured in the same run and the same browser: a bare page with two RTCPeerConnections
   connected inside the page (no server, no signaling), from its navigation start to its first
   decoded frame; both include the fake camera's start.
2. Signaling: `--rooms` rooms (two WebSocket clients each, signed-in sessions) connected to
   one server process; at once, in every room the seller sends an offer (a 4 kB SDP) to the
   buyer, who answers; each side then sends 5 ICE candidates to the other. An exchange lasts
   from the offer until both sides have everything; p50/p99 over the rooms. Baseline in the
   same run and with the same connections: every client sends `ping` at once and waits for the
   server's `pong` (one round trip with no database and no channel layer).

Writes bench/results/meetings.json. Targets (issue): first frame p50 < 1 s; signaling p99
< 500 ms with 200 rooms. The machine is small and shared: compare with the baselines.

The clients run in a process of their own (a child of this script), apart from the server, so
the load generator never shares the server's event loop or interpreter lock; load average is
sampled during the signaling phase and recorded.

Usage: .venv/bin/python bench/meeting_join.py [--joins 12] [--rooms 200] [--output PATH]
       .venv/bin/python bench/meeting_join.py --signaling-only --rooms 200  (prints, writes
       nothing unless --output is given: the committed JSON comes from one full run)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from benchlib import git_head, loadavg, machine  # noqa: E402
from tests.e2e.rooms import WEBRTC_ARGS, login, served_rooms  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    *WEBRTC_ARGS,
]
PASSWORD = "correct-horse-battery-9"  # noqa: S105 (tests.factories.PASSWORD, test accounts)

FIRST_FRAME = """async () => {
  const giveUp = performance.now() + 30000;
  while (performance.now() < giveUp) {
    const frames = await window.bizweekRoom.framesDecoded();
    if (Object.values(frames).some((n) => n > 0)) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  return -1;
}"""

FLOOR_PAGE = """<!doctype html><meta charset="utf-8"><title>floor</title>
<video id="v" autoplay muted></video>
<script>
window.firstFrame = (async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = ({candidate}) => candidate && b.addIceCandidate(candidate);
  b.onicecandidate = ({candidate}) => candidate && a.addIceCandidate(candidate);
  b.ontrack = ({streams}) => { document.getElementById("v").srcObject = streams[0]; };
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  for (;;) {
    let frames = 0;
    (await b.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
    if (frames > 0) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
})();
</script>"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def serve_floor_page() -> str:
    """The bare page from a tiny server of its own on loopback (a secure context)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = FLOOR_PAGE.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


STALLED: list[int] = []  # joins that never decoded a remote frame


def measure_joins(url: str, meeting: int, joins: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    room_times, floor_times = [], []
    floor_url = serve_floor_page()
    stalled = STALLED
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH)
        host = browser.new_context(base_url=url)
        seller = host.new_page()
        login(seller, "seller0@example.test", PASSWORD)
        seller.goto(f"/meetings/{meeting}/room/")
        seller.click("#join")
        seller.wait_for_selector("#call:not([hidden])")
        for number in range(joins):
            context = browser.new_context(base_url=url)
            page = context.new_page()
            login(page, "buyer0@example.test", PASSWORD)
            page.goto(f"/meetings/{meeting}/room/")
            page.click("#join")  # enabled once the camera preview runs
            first = page.evaluate(FIRST_FRAME)
            context.close()
            if first < 0:  # no remote frame within 30 s: counted, not timed
                stalled.append(number + 1)
                say(f"join {number + 1}: no remote frame within 30 s")
                continue
            room_times.append(first / 1000)
            # The floor, alternating with the room joins so both see the same load.
            floor = browser.new_context()
            bare = floor.new_page()
            bare.goto(floor_url)
            floor_times.append(bare.evaluate("() => window.firstFrame") / 1000)
            floor.close()
            say(f"join {number + 1}: room {room_times[-1]:.3f} s, floor {floor_times[-1]:.3f} s")
        browser.close()
    return room_times, floor_times


def candidate_line(number: int, base_port: int) -> str:
    return f"candidate:{number} 1 udp 2122260223 127.0.0.1 {base_port + number} typ host"


SDP = "v=0\r\n" + "a=x-bench:" + "x" * 4000 + "\r\n"
EXCHANGE_TIMEOUT_S = 30


def _signaling_child(url: str, meetings: list[int], sessions: list, pid: int, queue) -> None:  # noqa: ANN001
    try:
        try:  # the faster event loop (uvicorn's own), so the clients leave the server more CPU
            from uvloop import run
        except ImportError:
            run = asyncio.run
        queue.put(("ok", run(signaling(url, meetings, sessions, pid))))
    except BaseException as error:  # reported to the parent, which prints the server log
        queue.put(("error", repr(error)))


def signaling_in_child(url: str, meetings: list[int], sessions: list, pid: int) -> dict:
    """The WebSocket clients in a separate process (spawned: no state from this one)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_signaling_child, args=(url, meetings, sessions, pid, queue))
    child.start()
    status, result = queue.get(timeout=600)
    child.join(timeout=30)
    if status != "ok":
        raise RuntimeError(f"signaling clients failed: {result}")
    return result


class LoadSampler:
    """Load average every second while a phase runs (the machine is shared)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            value = loadavg()
            if value:
                self.samples.append(value[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        if not self.samples:
            return {}
        return {"min": min(self.samples), "max": max(self.samples), "samples": len(self.samples)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell work from waiting."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def signaling(
    url: str, meetings: list[int], sessions: list[list[str]], server_pid: int
) -> dict:
    from websockets.asyncio.client import connect

    host = url.split("//", 1)[1]

    async def open_ws(meeting: int, session: str):
        ws = await connect(
            f"ws://{host}/ws/meetings/{meeting}/",
            additional_headers={"Cookie": f"sessionid={session}"},
            origin=url,
            max_size=2**20,
        )
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome", welcome
        return ws, welcome["you"]["id"]

    rooms = []
    started = time.monotonic()
    batch = 10
    pairs = list(zip(meetings, sessions, strict=True))
    for index in range(0, len(pairs), batch):
        chunk = pairs[index : index + batch]
        opened = await asyncio.gather(
            *(open_ws(meeting, session) for meeting, (s, _) in chunk for session in (s,)),
        )
        opened_b = await asyncio.gather(
            *(open_ws(meeting, b) for meeting, (_, b) in chunk),
        )
        rooms.extend(zip(opened, opened_b, strict=True))
    connect_s = time.monotonic() - started
    say(f"{len(rooms)} rooms connected in {connect_s:.1f} s")

    async def drain_until(ws, want):  # noqa: ANN001
        while True:
            message = json.loads(await ws.recv())
            if want(message):
                return message

    # Drain peer-joined notices so every socket starts clean.
    await asyncio.gather(
        *(drain_until(a, lambda m: m["type"] == "peer-joined") for (a, _), _ in rooms)
    )

    async def ping_round(ws) -> float:  # noqa: ANN001
        start = time.perf_counter()
        await ws.send(json.dumps({"type": "ping"}))
        await drain_until(ws, lambda m: m["type"] == "pong")
        return time.perf_counter() - start

    sockets = [ws for pair in rooms for ws, _ in pair]
    baseline = await asyncio.gather(*(ping_round(ws) for ws in sockets))

    async def exchange(room) -> float:  # noqa: ANN001
        (a, a_id), (b, b_id) = room
        start = time.perf_counter()

        async def seller() -> None:
            await a.send(
                json.dumps(
                    {"type": "signal", "to": b_id, "description": {"type": "offer", "sdp": SDP}}
                )
            )
            await drain_until(a, lambda m: m["type"] == "signal" and "description" in m)
            for n in range(5):
                await a.send(
                    json.dumps(
                        {
                            "type": "signal",
                            "to": b_id,
                            "candidate": {
                                "candidate": candidate_line(n, 50000),
                                "sdpMid": "0",
                                "sdpMLineIndex": 0,
                            },
                        }
                    )
                )
            got = 0
            while got < 5:
                await drain_until(a, lambda m: m["type"] == "signal" and "candidate" in m)
                got += 1

        async def buyer() -> None:
            await drain_until(b, lambda m: m["type"] == "signal" and "description" in m)
            await b.send(
                json.dumps(
                    {"type": "signal", "to": a_id, "description": {"type": "answer", "sdp": SDP}}
                )
            )
            for n in range(5):
                await b.send(
                    json.dumps(
                        {
                            "type": "signal",
                            "to": a_id,
                            "candidate": {
                                "candidate": candidate_line(n, 51000),
                                "sdpMid": "0",
                                "sdpMLineIndex": 0,
                            },
                        }
                    )
                )
            got = 0
            while got < 5:
                await drain_until(b, lambda m: m["type"] == "signal" and "candidate" in m)
                got += 1

        try:
            await asyncio.wait_for(asyncio.gather(seller(), buyer()), EXCHANGE_TIMEOUT_S)
        except TimeoutError:
            return None  # a stall: counted, not timed
        return time.perf_counter() - start

    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    wall = time.perf_counter()
    results = await asyncio.gather(*(exchange(room) for room in rooms))
    wall = time.perf_counter() - wall
    server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    for ws in sockets:
        await ws.close()
    exchanges = [x for x in results if x is not None]
    return {
        "connect_s": connect_s,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "stalled": len(results) - len(exchanges),
        "exchanges": exchanges,
        "baseline": baseline,
        "wall_s": wall,
        "messages_relayed": len(rooms) * 12,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=12)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument(
        "--signaling-only",
        action="store_true",
        help="skip the browser joins; print the signaling figures (writes only with --output)",
    )
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    output = args.output
    if output is None and not args.signaling_only:
        output = str(ROOT / "bench" / "results" / "meetings.json")
    load_before = loadavg()
    room_times: list[float] = []
    floor_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-rooms-") as tmp:
        if not args.signaling_only:
            say("joins: starting a server with one meeting")
            with (
                served_rooms(Path(tmp) / "joins", meetings=1) as (url, info),
                LoadSampler() as joins_load,
            ):
                room_times, floor_times = measure_joins(url, info["meetings"][0], args.joins)
        say(f"signaling: starting a server with {args.rooms} meetings")
        data = Path(tmp) / "signaling"
        with served_rooms(data, meetings=args.rooms, bulk=True) as (url, info):
            try:
                with LoadSampler() as signaling_load:
                    result = signaling_in_child(
                        url, info["meetings"], info["sessions"], info["server_pid"]
                    )
            except Exception:
                say((data / "server.log").read_text(errors="replace")[-4000:])
                raise
            server_errors = [
                line
                for line in (data / "server.log").read_text(errors="replace").splitlines()
                if "Traceback" in line or "ERROR" in line
            ]
    exchanges_ms = [x * 1000 for x in result["exchanges"]]
    baseline_ms = [x * 1000 for x in result["baseline"]]
    import django
    import playwright

    figures: dict = {}
    if room_times:
        figures.update(
            {
                "first_frame_p50_s": round(statistics.median(room_times), 3),
                "first_frame_p95_s": round(percentile(room_times, 95), 3),
                "floor_first_frame_p50_s": round(statistics.median(floor_times), 3),
                "floor_first_frame_p95_s": round(percentile(floor_times, 95), 3),
                "first_frame_over_floor_p50": round(
                    statistics.median(room_times) / statistics.median(floor_times), 2
                ),
                "joins_completed": len(room_times),
                "joins_stalled": len(STALLED),
            }
        )
    figures.update(
        {
            "signaling_rooms": len(exchanges_ms),
            "signaling_rooms_stalled": result["stalled"],
            "signaling_connect_s": round(result["connect_s"], 2),
            "signaling_p50_ms": round(statistics.median(exchanges_ms), 1),
            "signaling_p99_ms": round(percentile(exchanges_ms, 99), 1),
            "signaling_max_ms": round(max(exchanges_ms), 1),
            "signaling_wall_s": round(result["wall_s"], 3),
            "signaling_messages_relayed": result["messages_relayed"],
            "baseline_ping_p50_ms": round(statistics.median(baseline_ms), 1),
            "baseline_ping_p99_ms": round(percentile(baseline_ms, 99), 1),
            # CPU the exchange cost, whatever the machine's load: per relayed message.
            "signaling_server_cpu_s": round(result["server_cpu_s"], 3),
            "signaling_client_cpu_s": round(result["client_cpu_s"], 3),
            "server_cpu_ms_per_message": round(
                1000 * result["server_cpu_s"] / result["messages_relayed"], 3
            ),
            "server_errors_logged": len(server_errors),
        }
    )
    say(json.dumps(figures, indent=2))
    if output is None:
        return 0
    met = {
        "signaling_p99_ms": figures["signaling_p99_ms"] < 500 and not result["stalled"],
    }
    if room_times:
        met["first_frame_p50_s"] = figures["first_frame_p50_s"] < 1.0
    report = {
        "benchmark": "meeting_join",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/meeting_join.py", *sys.argv[1:]]),
        "what": __doc__.split("\n\n")[1].strip() if __doc__ else "",
        "sizes": {
            "joins": 0 if args.signaling_only else args.joins,
            "rooms": args.rooms,
            "websockets": 2 * args.rooms,
            "candidates_per_side": 5,
            "sdp_bytes": len(SDP),
        },
        "targets": {"first_frame_p50_s": 1.0, "signaling_p99_ms": 500},
        "met": met,
        **figures,
        "first_frame_s": [round(x, 3) for x in room_times],
        "floor_first_frame_s": [round(x, 3) for x in floor_times],
        "server": "bizweek serve --workers 1 (uvicorn, in-memory channel layer, SQLite)",
        "clients": "one asyncio process (websockets) of its own, spawned by this script",
        "versions": {
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "playwright": getattr(playwright, "__version__", "?"),
        },
        "git": git_head(),
        "machine": {
            **machine(),
            "shared": True,
            "note": "2 cores shared by 7 developers; figures vary with their load",
            "loadavg_before": load_before,
            "loadavg_1min_during_joins": joins_load.summary() if room_times else None,
            "loadavg_1min_during_signaling": signaling_load.summary(),
            "loadavg_after": loadavg(),
        },
    }
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
