"""The processes the hall benchmark measures: `bizweek serve` and the Redis that several
workers share, each in its own process group and always stopped; and their CPU time from /proc,
to tell the server's work from the load generator's and from the rest of the machine's.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from benchlib import ROOT
from hallcommon import BIZWEEK, HOST, BenchError, say

# Read at import, before main() removes it from os.environ: the benchmark's own runs unset it.
ORIGINAL_REDIS_URL = os.environ.get("REDIS_URL", "")


def bench_env(data_dir: Path, static_root: Path, database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "BIZWEEK_SSL_REDIRECT", "CSRF_TRUSTED_ORIGINS"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(
        DJANGO_SETTINGS_MODULE="bizweek.settings",
        BIZWEEK_DATA_DIR=str(data_dir),
        BIZWEEK_STATIC_ROOT=str(static_root),
        BIZWEEK_MEDIA_ROOT=str(data_dir / "media"),
        DEBUG="0",
        BIZWEEK_HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- CPU accounting ------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """user + system CPU time of a process (all threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and its descendants that are alive now."""
    total = process_cpu_seconds(pid)
    if total is None:
        return None
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        children = [
            int(c) for t in tasks for c in (t / "children").read_text().split() if c.strip()
        ]
    except OSError:
        children = []
    for child in children:
        total += tree_cpu_seconds(child) or 0.0
    return total


def machine_busy_seconds() -> float | None:
    """CPU time every core spent busy since boot (/proc/stat): to see what else ran."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU time of this script's finished child processes (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the server ----------------------------------------------------------------------------


class Server:
    """`bizweek serve` on loopback, in its own process group, always stopped by stop()."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        log_path: Path,
        workers: int = 1,
        db_backends: re.Pattern | None = None,
    ) -> None:
        self.env, self.port, self.log_path, self.workers = env, port, log_path, workers
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.db_backends = db_backends
        self._backend_cpu: dict[int, float] = {}  # pid -> last seen CPU seconds

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        command = [str(BIZWEEK), "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        say(f"starting: {' '.join(command[1:])} (log: {self.log_path})")
        self.proc = subprocess.Popen(  # noqa: S603
            command,
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise BenchError(f"the server exited early:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", path)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
                raise BenchError(f"GET {path} answered {status}:\n{self.log_tail()}")
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """CPU time of the server and its worker processes (uvicorn --workers forks them).

        With PostgreSQL, plus the backends serving the benchmark's database (SQLite's work is
        inside the server process): each backend's last seen CPU time is kept after it exits,
        so the figure never decreases.
        """
        if not self.proc:
            return None
        total = tree_cpu_seconds(self.proc.pid)
        if total is None or self.db_backends is None:
            return total
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            if self.db_backends.match(title):
                cpu = process_cpu_seconds(int(entry.name))
                if cpu is not None:
                    self._backend_cpu[int(entry.name)] = cpu
        return total + sum(self._backend_cpu.values())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            say(f"stopping the server (pid {self.proc.pid})")
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def logged_errors(self) -> int:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count("Traceback") + text.count('" 500')


class RedisServer:
    """The Redis that several workers need (shared cache and channel layer).

    REDIS_URL from the environment when set, else a throwaway redis-server on a free loopback
    port without persistence, stopped with the benchmark.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.description = ""

    def start(self) -> str:
        if ORIGINAL_REDIS_URL:
            self.description = "Redis at REDIS_URL from the environment"
            return ORIGINAL_REDIS_URL
        binary = shutil.which("redis-server")
        if binary is None:
            raise BenchError(
                "--workers > 1 needs Redis: set REDIS_URL or install redis-server "
                "(apt-get install redis-server), or run with --workers 1"
            )
        port = free_port()
        self.proc = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    version = subprocess.run(  # noqa: S603
                        [binary, "--version"], capture_output=True, text=True, check=False
                    ).stdout.split()
                    found = next((v for v in version if v.startswith("v=")), "v=?")[2:]
                    self.description = f"redis-server {found} started by the benchmark"
                    return f"redis://{HOST}:{port}/0"
            time.sleep(0.1)
        raise BenchError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
