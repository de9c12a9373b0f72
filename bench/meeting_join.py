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

Usage: .venv/bin/python bench/meeting_join.py [--joins 12] [--rooms 200] [--output PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
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
  for (;;) {
    const frames = await window.bizweekRoom.framesDecoded();
    if (Object.values(frames).some((n) => n > 0)) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
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


def measure_joins(url: str, meeting: int, joins: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    room_times, floor_times = [], []
    floor_url = serve_floor_page()
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
            room_times.append(page.evaluate(FIRST_FRAME) / 1000)
            context.close()
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


async def signaling(url: str, meetings: list[int], sessions: list[list[str]]) -> dict:
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
    batch = 20
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
    say(f"{len(rooms)} rooms connected in {time.monotonic() - started:.1f} s")

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

        await asyncio.gather(seller(), buyer())
        return time.perf_counter() - start

    wall = time.perf_counter()
    exchanges = await asyncio.gather(*(exchange(room) for room in rooms))
    wall = time.perf_counter() - wall
    for ws in sockets:
        await ws.close()
    return {
        "exchanges": exchanges,
        "baseline": baseline,
        "wall_s": wall,
        "messages_relayed": len(rooms) * 12,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=12)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "meetings.json"))
    args = parser.parse_args()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="bench-rooms-") as tmp:
        say("joins: starting a server with one meeting")
        with served_rooms(Path(tmp) / "joins", meetings=1) as (url, info):
            room_times, floor_times = measure_joins(url, info["meetings"][0], args.joins)
        say(f"signaling: starting a server with {args.rooms} meetings")
        with served_rooms(Path(tmp) / "signaling", meetings=args.rooms, bulk=True) as (url, info):
            result = asyncio.run(signaling(url, info["meetings"], info["sessions"]))
    exchanges_ms = [x * 1000 for x in result["exchanges"]]
    baseline_ms = [x * 1000 for x in result["baseline"]]
    import django
    import playwright

    figures = {
        "first_frame_p50_s": round(statistics.median(room_times), 3),
        "first_frame_p95_s": round(percentile(room_times, 95), 3),
        "floor_first_frame_p50_s": round(statistics.median(floor_times), 3),
        "floor_first_frame_p95_s": round(percentile(floor_times, 95), 3),
        "first_frame_over_floor_p50": round(
            statistics.median(room_times) / statistics.median(floor_times), 2
        ),
        "signaling_rooms": len(exchanges_ms),
        "signaling_p50_ms": round(statistics.median(exchanges_ms), 1),
        "signaling_p99_ms": round(percentile(exchanges_ms, 99), 1),
        "signaling_max_ms": round(max(exchanges_ms), 1),
        "signaling_wall_s": round(result["wall_s"], 3),
        "signaling_messages_relayed": result["messages_relayed"],
        "baseline_ping_p50_ms": round(statistics.median(baseline_ms), 1),
        "baseline_ping_p99_ms": round(percentile(baseline_ms, 99), 1),
    }
    report = {
        "benchmark": "meeting_join",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": __doc__.split("\n\n")[1].strip() if __doc__ else "",
        "sizes": {
            "joins": args.joins,
            "rooms": args.rooms,
            "candidates_per_side": 5,
            "sdp_bytes": len(SDP),
        },
        "targets": {"first_frame_p50_s": 1.0, "signaling_p99_ms": 500},
        "met": {
            "first_frame_p50_s": figures["first_frame_p50_s"] < 1.0,
            "signaling_p99_ms": figures["signaling_p99_ms"] < 500,
        },
        **figures,
        "first_frame_s": [round(x, 3) for x in room_times],
        "floor_first_frame_s": [round(x, 3) for x in floor_times],
        "server": "bizweek serve --workers 1 (uvicorn, in-memory channel layer, SQLite)",
        "versions": {
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "playwright": getattr(playwright, "__version__", "?"),
        },
        "git": git_head(),
        "machine": {
            **machine(),
            "shared": True,
            "note": "2 cores shared by 8 developers; figures vary with their load",
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
        },
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    say(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
