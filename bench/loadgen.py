"""The load generator: the hall benchmark's own asyncio HTTP/1.1 clients for the sequential
phases (and the concurrent ones when wrk is missing), and wrk, driven by a Lua script, for the
concurrent phases. Every run returns a Load: latencies, errors and CPU time of one phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hallcommon import HOST, BenchError, median_int, summary
from servers import Server, children_cpu_seconds, machine_busy_seconds

REQUEST_TIMEOUT = 30.0


class HttpClient:
    """One keep-alive HTTP/1.1 connection with a browser-like cookie jar (asyncio streams)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}

    async def connect(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "User-Agent: bizweek-bench"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers: dict[str, str] = {}
        for line in head[1:]:
            if ":" not in line:
                continue
            name, value = (part.strip() for part in line.split(":", 1))
            name = name.lower()
            if name == "set-cookie":
                self._set_cookie(value)
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        chunks = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await self.reader.readline()) not in (b"\r\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readline()

    def _set_cookie(self, value: str) -> None:
        pair, _sep, attributes = value.partition(";")
        name, _eq, content = pair.partition("=")
        if not content or "max-age=0" in attributes.lower():
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = content.strip()


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    server_cpu: float | None = 0.0
    client_cpu: float | None = None
    truncated: bool = False
    sequential: bool = False  # interleaved with other requests: no throughput of its own
    bytes_total: int = 0  # wrk reports bytes in total, not per response
    other_cpu: float | None = None  # machine CPU used by neither the server nor the generator
    wrapped: int = 0  # wrk "slice" mode: requests that came back to an already requested path

    def add_error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def merge(self, other: Load) -> None:
        self.latencies += other.latencies
        self.sizes += other.sizes
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n
        self.elapsed += other.elapsed
        if other.server_cpu is None or self.server_cpu is None:
            self.server_cpu = None
        else:
            self.server_cpu += other.server_cpu
        if other.client_cpu is not None:
            self.client_cpu = (self.client_cpu or 0.0) + other.client_cpu
        if other.other_cpu is not None:
            self.other_cpu = (self.other_cpu or 0.0) + other.other_cpu
        self.bytes_total += other.bytes_total
        self.truncated = self.truncated or other.truncated

    def report(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            **summary(self.latencies),
            "ok": done,
            "errors": dict(self.errors),
            "elapsed_s": round(self.elapsed, 2),
            "throughput_rps": (
                round(done / self.elapsed, 1) if self.elapsed and not self.sequential else None
            ),
            **(
                {"median_bytes": median_int(self.sizes)}
                if self.sizes or not self.bytes_total
                else {"mean_bytes_with_headers": round(self.bytes_total / max(done, 1))}
            ),
            "server_cpu_ms_per_request": (
                round(1000 * self.server_cpu / done, 2)
                if done and self.server_cpu is not None
                else None
            ),
            "client_cpu_ms_per_request": (
                round(1000 * self.client_cpu / done, 2)
                if done and self.client_cpu is not None
                else None
            ),
            "other_cpu_cores": (
                round(self.other_cpu / self.elapsed, 2)
                if self.other_cpu is not None and self.elapsed and not self.sequential
                else None
            ),
            "truncated": self.truncated,
        }


# wrk (C, event loop, a few % of a core) drives the concurrent phases when it is installed.
# One thread per connection, so each connection keeps its own cookies: one visitor each.
# done() prints the whole latency histogram (microseconds), so blocks merge exactly.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  mode = args[2]
  nthreads = tonumber(args[3])
  count, wrapped, cookies = 0, 0, {}
end
function request()
  local index
  if mode == "slice" then  -- thread i: paths i, i+n, i+2n, ... each once if it can
    index = tid + count * nthreads
    if index >= #paths then wrapped = wrapped + 1 end
  else  -- rotate: every thread walks all paths from its own offset
    index = tid * 7919 + count
  end
  count = count + 1
  local jar = {}
  for name, value in pairs(cookies) do jar[#jar + 1] = name .. "=" .. value end
  local headers = {}
  if #jar > 0 then headers["Cookie"] = table.concat(jar, "; ") end
  return wrk.format("GET", paths[(index % #paths) + 1], headers)
end
function response(status, headers, body)
  -- wrk keeps one header per name: Django sends sessionid after csrftoken, and the csrftoken
  -- cookie comes again on the next response, so the jar holds both after two requests.
  local value = headers["set-cookie"] or headers["Set-Cookie"]
  if value then
    local name, content = value:match("^%s*([^=;]+)=([^;]*)")
    if name then cookies[name] = content end
  end
end
function done(summary, latency, requests)
  local hist = {}
  for i = 1, #latency do
    local v, c = latency(i)
    hist[#hist + 1] = string.format("[%d,%d]", v, c)
  end
  local w = 0
  for _, t in ipairs(threads) do w = w + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"wrapped":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":[%s]}\n',
    summary.requests, summary.duration, summary.bytes, w,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(hist, ",")))
end
"""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def wrk_version(binary: str) -> str:
    result = subprocess.run(  # noqa: S603
        [binary, "--version"], capture_output=True, text=True, check=False
    )
    return (result.stdout + result.stderr).strip().splitlines()[0] if result else "unknown"


def run_wrk(
    server: Server,
    paths: list[str],
    *,
    connections: int,
    seconds: float,
    mode: str,
    workdir: Path,
) -> Load:
    """`paths` from `connections` keep-alive clients for `seconds` (closed loop), with wrk."""
    binary = wrk_binary()
    if binary is None:
        raise BenchError("wrk is not installed")
    script = workdir / "hall-wrk.lua"
    script.write_text(WRK_SCRIPT)
    path_file = workdir / "hall-wrk-paths.txt"
    path_file.write_text("".join(p + "\n" for p in paths))
    command = [
        binary,
        f"-t{connections}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        f"{REQUEST_TIMEOUT:.0f}s",
        "-s",
        str(script),
        f"http://{HOST}:{server.port}",
        "--",
        str(path_file),
        mode,
        str(connections),
    ]
    cpu0, child0, busy0 = server.cpu_seconds(), children_cpu_seconds(), machine_busy_seconds()
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    cpu1, child1, busy1 = server.cpu_seconds(), children_cpu_seconds(), machine_busy_seconds()
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    load = Load()
    for value_us, count in data["latency_us"]:
        load.latencies.extend([value_us / 1e6] * count)
    for kind, count in data["errors"].items():
        if count:
            load.errors[kind if kind != "status" else "HTTP status >= 400"] = count
    load.elapsed = data["duration_us"] / 1e6
    load.bytes_total = data["bytes"]
    load.server_cpu = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    load.client_cpu = child1 - child0
    if busy0 is not None and busy1 is not None and load.server_cpu is not None:
        load.other_cpu = max(0.0, busy1 - busy0 - load.server_cpu - load.client_cpu)
    load.wrapped = data["wrapped"]
    return load


async def timed_get(client: HttpClient, path: str, load: Load) -> bytes | None:
    started = time.perf_counter()
    try:
        status, body = await asyncio.wait_for(client.get(path), REQUEST_TIMEOUT)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        load.add_error(type(exc).__name__)
        await client.close()
        return None
    elapsed = time.perf_counter() - started
    if status != 200:
        load.add_error(f"HTTP {status}")
        return None
    load.latencies.append(elapsed)
    load.sizes.append(len(body))
    return body


async def run_concurrent(
    clients: list[HttpClient], paths: list[str], server: Server, deadline: float
) -> Load:
    """Send `paths` with one task per client (closed loop); latency of every request."""
    load = Load()
    await asyncio.gather(*(client.connect() for client in clients))
    pending = iter(paths)

    async def worker(client: HttpClient) -> None:
        for path in pending:
            if time.monotonic() > deadline:
                load.truncated = True
                return
            await timed_get(client, path, load)

    cpu0, client0, busy0 = server.cpu_seconds(), time.process_time(), machine_busy_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(worker(client) for client in clients))
    load.elapsed = time.perf_counter() - started
    cpu1, busy1 = server.cpu_seconds(), machine_busy_seconds()
    load.server_cpu = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    load.client_cpu = time.process_time() - client0
    if busy0 is not None and busy1 is not None and load.server_cpu is not None:
        load.other_cpu = max(0.0, busy1 - busy0 - load.server_cpu - load.client_cpu)
    for client in clients:
        await client.close()
    return load


async def run_sequential_pairs(
    client: HttpClient,
    pairs: list[tuple[str, str]],
    labels: list[str],
    server: Server,
    deadline: float,
) -> tuple[dict[str, Load], Load, Load, list[tuple[str, float | None, float | None]]]:
    """For each (page, static) pair: the page, then the static file, on one connection.

    Also returns every pair's two latencies in order, to tell a slow query from a stalled
    server (then the static request next to it is slow too).

    The server's CPU time is only read per phase (/proc counts in 10 ms ticks), so the pages'
    figure includes the interleaved static requests and the static one is left out.
    """
    by_label: dict[str, Load] = {}
    pages, statics = Load(sequential=True), Load(server_cpu=None, sequential=True)
    timeline: list[tuple[str, float | None, float | None]] = []
    cpu0 = server.cpu_seconds()
    started = time.perf_counter()
    for (page_path, static_path), label in zip(pairs, labels, strict=True):
        if time.monotonic() > deadline:
            pages.truncated = statics.truncated = True
            break
        one = by_label.setdefault(label, Load())
        n = len(one.latencies)
        await timed_get(client, page_path, one)
        page_s = static_s = None
        if len(one.latencies) > n:
            pages.latencies.append(one.latencies[-1])
            pages.sizes.append(one.sizes[-1])
            page_s = one.latencies[-1]
        m = len(statics.latencies)
        await timed_get(client, static_path, statics)
        if len(statics.latencies) > m:
            static_s = statics.latencies[-1]
        timeline.append((label, page_s, static_s))
    for one in by_label.values():
        for kind, n in one.errors.items():
            pages.errors[kind] = pages.errors.get(kind, 0) + n
    pages.elapsed = statics.elapsed = time.perf_counter() - started  # interleaved: shared
    cpu1 = server.cpu_seconds()
    pages.server_cpu = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    return by_label, pages, statics, timeline
