"""Exhibition hall benchmark: search latency and booth-page throughput at demo scale.

Builds (or reuses) a `bizweek demo --scale 10 --seed 1` database in var/bench-hall, starts
`bizweek serve` on a free loopback port and measures, in one run and side by side:

- search: `/api/v1/companies?q=…&limit=20` for a fixed mix of ko/zh-hans/zh-hant/en queries,
  sequentially, each query `--rounds` times; every search request is followed by a request for a
  static file of the same size (the median search response) served by the same server, so the
  two share the same noise. The engine alone (ranked_ids, and find_companies + count + first
  page as the API does) is also timed in-process.
- booth pages: `/booths/<id>/` of many different sellers, `--requests` requests from
  `--concurrency` keep-alive clients, in blocks that alternate with the same number of requests
  for a static file of the median booth page's size at the same concurrency.

The database is SQLite in the data directory, or PostgreSQL with --database-url (the demo is
then built in that database, the marker file stays in the data directory).

Results go to bench/results/hall.json. Targets (issue): search p99 < 100 ms, booth p99 < 150 ms.
The machine is small and shared, so ratios to the static file are the figures to compare across
runs. Exit status: 0 ran (targets may be missed), 1 ran but some requests failed, 2 could not run.

Usage: .venv/bin/python bench/hall.py [--scale 10] [--seed 1] [--rounds 20] [--requests 2000]
       [--database-url postgres://USER:PASSWORD@HOST:PORT/DBNAME] [--output PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import git_head, loadavg, machine  # noqa: E402

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
BIZWEEK = ROOT / ".venv" / "bin" / "bizweek"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0
TARGETS_MS = {"search_p99_ms": 100.0, "booth_p99_ms": 150.0}
ORIGINAL_REDIS_URL = os.environ.get("REDIS_URL", "")  # the benchmark's own runs unset it

# (language, query): 1- and 2-character CJK queries included on purpose.
QUERIES: list[tuple[str, str]] = [
    ("ko", "굴착기"),
    ("ko", "화장품"),
    ("ko", "인삼"),
    ("ko", "수소"),
    ("ko", "김치"),
    ("ko", "밸브"),
    ("ko", "차"),
    ("ko", "배터리"),
    ("ko", "홍삼"),
    ("zh-hans", "化妆品"),
    ("zh-hans", "挖掘机"),
    ("zh-hans", "人参"),
    ("zh-hans", "茶"),
    ("zh-hans", "氢"),
    ("zh-hans", "电池"),
    ("zh-hans", "阀门"),
    ("zh-hans", "泡菜"),
    ("zh-hant", "化妝品"),
    ("zh-hant", "電池"),
    ("zh-hant", "挖掘機"),
    ("zh-hant", "閥門"),
    ("zh-hant", "氫"),
    ("en", "excavator"),
    ("en", "cosmetics"),
    ("en", "ginseng"),
    ("en", "hydrogen fuel cell"),
    ("en", "valve"),
    ("en", "battery"),
    ("en", "tea"),
    ("en", "kimchi"),
]
LANGS = ("ko", "zh-hans", "zh-hant", "en")
# Files whose change makes a cached demo database stale (content or search index).
DEMO_INPUTS = [
    "src/bizweek/demo/builder.py",
    "src/bizweek/demo/catalog.py",
    "src/bizweek/demo/catalog_data.json",
    "src/bizweek/expo/search.py",
    "src/bizweek/chinese.py",
]


class BenchError(Exception):
    """The benchmark cannot run."""


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", flush=True)


# --- statistics ----------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (k - low)


def summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"n": 0}
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "min_ms": round(ms[0], 2),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


def median_int(values: list[int]) -> int:
    return sorted(values)[len(values) // 2] if values else 0


# --- what ran ------------------------------------------------------------------------------


def tree_fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_fingerprint() -> str:
    """A hash of src/: others edit the tree concurrently, so the commit alone may not say."""
    files = [
        p
        for p in (ROOT / "src").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".mo"}
    ]
    return tree_fingerprint(files)


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import django

    found = {"python": platform.python_version(), "django": django.get_version()}
    for name in ("uvicorn", "whitenoise", "django-ninja", "uvloop", "httptools"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    import sqlite3

    found["sqlite"] = sqlite3.sqlite_version
    return found


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


# --- environment, demo data ----------------------------------------------------------------


def ensure_venv() -> None:
    """Re-run under the project's virtualenv when started with another Python."""
    try:
        import django  # noqa: F401

        import bizweek  # noqa: F401
    except ImportError:
        if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
            os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])  # noqa: S606
        raise BenchError(
            "bizweek is not importable: run with .venv/bin/python (make install)"
        ) from None
    if not BIZWEEK.exists():
        raise BenchError(f"{BIZWEEK} is missing: run make install")


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


def run_cli(args: list[str], env: dict[str, str]) -> None:
    say("$ bizweek " + " ".join(args))
    result = subprocess.run([str(BIZWEEK), *args], env=env, cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BenchError(f"bizweek {' '.join(args)} failed with exit status {result.returncode}")


def index_rows(database: Path) -> dict[str, int] | None:
    """Rows of the FTS5 index and of SearchDocument; None when the tables are not there."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            fts = db.execute("SELECT count(*) FROM expo_search_fts").fetchone()[0]
            docs = db.execute("SELECT count(*) FROM expo_searchdocument").fetchone()[0]
            stale = db.execute(
                "SELECT count(*) FROM expo_search_fts "
                "WHERE rowid NOT IN (SELECT id FROM companies_company)"
            ).fetchone()[0]
    except sqlite3.Error:
        return None
    return {"fts_rows": fts, "search_documents": docs, "stale_fts_rows": stale}


# --- PostgreSQL (--database-url) -----------------------------------------------------------


def redact_url(url: str) -> str:
    """The database URL without its password (user info and query string)."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo.split(':', 1)[0]}@{hostport}" if at else hostport
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def pg_where(url: str) -> str:
    """host:port/dbname of a PostgreSQL URL."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


def pg_index_rows(cursor: Any) -> dict[str, int] | None:
    """Companies, SearchDocument rows and their tsvectors (ts_rank searches the `vector`
    column, GIN-indexed); None when the tables are not there. Any DB-API cursor."""
    cursor.execute(
        "SELECT to_regclass('companies_company') IS NOT NULL "
        "AND to_regclass('expo_searchdocument') IS NOT NULL"
    )
    if not cursor.fetchone()[0]:
        return None
    cursor.execute(
        "SELECT (SELECT count(*) FROM companies_company), "
        "(SELECT count(*) FROM expo_searchdocument), "
        "(SELECT count(*) FROM expo_searchdocument "
        "WHERE vector IS NOT NULL AND length(vector) > 0)"
    )
    companies, docs, vectors = cursor.fetchone()
    return {
        "companies": companies,
        "search_documents": docs,
        "search_vectors": vectors,
        "empty_search_vectors": docs - vectors,
    }


def pg_connect(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as error:
        raise BenchError(f"cannot connect to {redact_url(url)}: {error}") from None


def pg_backend_pattern(url: str) -> re.Pattern:
    """The process title of a PostgreSQL backend serving this user and database
    ("postgres: [cluster: ]USER DBNAME HOST(PORT) STATE")."""
    parts = urlsplit(url)
    user, dbname = parts.username or "", (parts.path or "/")[1:]
    return re.compile(rf"^postgres: (?:\S+: )?{re.escape(user)} {re.escape(dbname)} ")


def read_marker(marker: Path) -> dict[str, Any]:
    if not marker.exists():
        return {}
    try:
        return json.loads(marker.read_text())
    except ValueError:
        return {"unreadable": True}


def build_demo(opts: argparse.Namespace, env: dict[str, str], reset: bool) -> dict[str, Any]:
    say(f"building the demo (scale {opts.scale}, seed {opts.seed}); about 45 s at scale 10")
    started = time.monotonic()
    args = ["demo", *(["--reset"] if reset else []), "--scale", str(opts.scale)]
    run_cli([*args, "--seed", str(opts.seed)], env)
    return {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_s": round(time.monotonic() - started, 1),
    }


def ensure_demo(opts: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Reuse the cached demo when built by this script from the same inputs, else build anew.

    SQLite: a rebuild deletes the database file rather than using `bizweek demo --reset`:
    deleting companies leaves their rows in the SQLite FTS5 index (see bench/README.md).
    PostgreSQL (--database-url): see ensure_demo_postgres.
    """
    fingerprint = tree_fingerprint([ROOT / p for p in DEMO_INPUTS if (ROOT / p).exists()])
    wanted = {"scale": opts.scale, "seed": opts.seed, "inputs": fingerprint}
    if opts.database_url:
        return ensure_demo_postgres(opts, env, wanted)
    database = opts.data_dir / "bizweek.sqlite3"
    marker = opts.data_dir / "bench-demo.json"
    cached = read_marker(marker)
    if database.exists() and not marker.exists() and not opts.rebuild:
        raise BenchError(
            f"{database} was not built by this benchmark; use another --data-dir, or --rebuild "
            "to delete it"
        )
    index = index_rows(database) if database.exists() else None
    index_ok = bool(index) and index["stale_fts_rows"] == 0 and index["fts_rows"] > 0
    if not opts.rebuild and index_ok and all(cached.get(k) == v for k, v in wanted.items()):
        run_cli(["migrate", "--noinput", "-v", "0"], env)
        say(f"reusing the scale-{opts.scale} demo in {opts.data_dir} (built {cached['built_at']})")
        return {"reused": True, **cached}
    if database.exists():
        why = "--rebuild" if opts.rebuild else "stale or different demo"
        say(f"deleting {database} ({why})")
    marker.unlink(missing_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    run_cli(["migrate", "--noinput", "-v", "0"], env)
    built = {**wanted, **build_demo(opts, env, reset=False)}
    marker.write_text(json.dumps(built, indent=2) + "\n")
    return {"reused": False, **built}


def ensure_demo_postgres(
    opts: argparse.Namespace, env: dict[str, str], wanted: dict[str, Any]
) -> dict[str, Any]:
    """The demo in the PostgreSQL database of --database-url.

    The marker (bench-demo-postgres.json in the data directory) names the database (URL
    without password), so a demo built in another database is not taken for this one. A
    database with companies that the marker does not vouch for is refused without --rebuild.
    A rebuild is `bizweek migrate` then `bizweek demo --reset` (deletes events, companies and
    users; the tsvector column goes with its company row, so no stale index rows), then
    VACUUM ANALYZE so the planner sees the new tables, as autovacuum would soon after.
    """
    url = opts.database_url
    where = redact_url(url)
    wanted = {**wanted, "database": where}
    marker = opts.data_dir / "bench-demo-postgres.json"
    cached = read_marker(marker)
    with contextlib.closing(pg_connect(url)) as db, db.cursor() as cursor:
        index = pg_index_rows(cursor)
    ours = cached.get("database") == where
    if index and index["companies"] and not ours and not opts.rebuild:
        raise BenchError(
            f"{where} holds {index['companies']} companies not built by this benchmark (no "
            f"{marker.name} for it in {opts.data_dir}); use another database, or --rebuild to "
            "replace them with the demo (bizweek demo --reset)"
        )
    index_ok = (
        bool(index)
        and index["search_documents"] > 0
        and index["empty_search_vectors"] == 0
        and index["search_documents"] <= index["companies"]
    )
    if (
        not opts.rebuild
        and ours
        and index_ok
        and all(cached.get(k) == v for k, v in wanted.items())
    ):
        run_cli(["migrate", "--noinput", "-v", "0"], env)
        say(f"reusing the scale-{opts.scale} demo in {where} (built {cached['built_at']})")
        return {"reused": True, **cached}
    if index and index["companies"]:
        why = "--rebuild" if opts.rebuild else "stale or different demo"
        say(f"replacing the companies in {where} ({why})")
    # From here on the database is this benchmark's, even if the build fails half-way; the
    # marker matches no demo until the build completes.
    marker.write_text(json.dumps({"database": where, "incomplete": True}, indent=2) + "\n")
    run_cli(["migrate", "--noinput", "-v", "0"], env)
    built = {**wanted, **build_demo(opts, env, reset=True)}
    say("VACUUM ANALYZE")
    with contextlib.closing(pg_connect(url)) as db:
        db.execute("VACUUM ANALYZE")
    marker.write_text(json.dumps(built, indent=2) + "\n")
    return {"reused": False, **built}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- in-process preparation and engine timing ----------------------------------------------


@dataclass
class Prepared:
    counts: dict[str, int]
    booth_ids: list[int]
    warmup_ids: list[int]
    sequential_ids: list[int]
    cold_ids: list[int]
    booth_sample_bytes: list[int]
    booth_static_path: str
    booth_static_bytes: int
    search_static_path: str
    search_static_bytes: int
    query_bytes: dict[str, int]
    query_hits: dict[str, int]
    engine: dict[str, Any] = field(default_factory=dict)
    reset: dict[str, int] = field(default_factory=dict)
    database: str = "SQLite (WAL) in the data directory"
    database_version: str = ""


def prepare(opts: argparse.Namespace, port: int) -> Prepared:
    import django

    django.setup()
    from django.contrib.sessions.models import Session
    from django.db import connection, connections
    from django.test import Client

    from bizweek.companies.models import Company, CompanyRole, CompanyStatus
    from bizweek.expo.models import BoothVisit, Product, SearchDocument

    sellers = Company.objects.filter(role=CompanyRole.SELLER)
    buyers = Company.objects.filter(role=CompanyRole.BUYER)
    counts = {
        "companies": Company.objects.count(),
        "sellers": sellers.count(),
        "buyers": buyers.count(),
        "approved_sellers": sellers.filter(status=CompanyStatus.APPROVED).count(),
        "approved_buyers": buyers.filter(status=CompanyStatus.APPROVED).count(),
        "products": Product.objects.count(),
        "published_products": Product.objects.filter(is_published=True).count(),
        "search_documents": SearchDocument.objects.count(),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database_version = cursor.fetchone()[0]
            index = pg_index_rows(cursor) or {}
        counts["search_vectors"] = index.get("search_vectors", -1)
        counts["empty_search_vectors"] = index.get("empty_search_vectors", -1)
        database = f"PostgreSQL {database_version} at {pg_where(opts.database_url)}"
    else:
        index = index_rows(opts.data_dir / "bizweek.sqlite3") or {}
        counts["fts_rows"] = index.get("fts_rows", -1)
        counts["stale_fts_rows"] = index.get("stale_fts_rows", -1)
        database, database_version = "SQLite (WAL) in the data directory", ""
    say(f"database: {database}")
    say(
        f"database: {counts['companies']} companies ({counts['sellers']} sellers, "
        f"{counts['buyers']} buyers), {counts['products']} products"
    )
    if counts["approved_sellers"] < 473 * opts.scale or counts["search_documents"] == 0:
        raise BenchError(f"{opts.data_dir} does not hold a scale-{opts.scale} demo; use --rebuild")

    open_booths = list(
        sellers.filter(status=CompanyStatus.APPROVED)
        .exclude(booth__is_published=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    random.Random(opts.seed).shuffle(open_booths)
    extra = 50 + opts.sequential
    measured = open_booths[: max(1, min(opts.requests, len(open_booths) - extra))]
    rest = open_booths[len(measured) :] or open_booths
    warmup_ids, sequential_ids = rest[:50], rest[50:extra] or rest[:50]
    cold_ids = rest[extra:] or measured  # never viewed before the cold phase

    client = Client(HTTP_HOST=f"{HOST}:{port}")
    say("sizing booth pages and search responses in-process (Django test client)")
    booth_bodies = []
    for pk in measured[:100]:
        response = client.get(f"/booths/{pk}/")
        if response.status_code != 200:
            raise BenchError(f"/booths/{pk}/ answered {response.status_code} in-process")
        booth_bodies.append(response.content)
    booth_bodies.sort(key=len)
    booth_body = booth_bodies[len(booth_bodies) // 2]

    query_bytes, query_hits, search_bodies = {}, {}, []
    for _lang, q in QUERIES:
        response = client.get("/api/v1/companies", {"q": q, "limit": 20})
        if response.status_code != 200:
            raise BenchError(f"/api/v1/companies?q={q} answered {response.status_code}")
        query_bytes[q] = len(response.content)
        query_hits[q] = int(response.json()["count"])
        search_bodies.append(response.content)
    search_bodies.sort(key=len)
    search_body = search_bodies[len(search_bodies) // 2]

    # Static files of the same sizes; WhiteNoise serves what is in STATIC_ROOT at startup.
    static_dir = opts.static_root / "bench-hall"
    static_dir.mkdir(parents=True, exist_ok=True)
    for old in static_dir.iterdir():
        old.unlink()
    booth_file = static_dir / f"booth-{len(booth_body)}.html"
    booth_file.write_bytes(booth_body)
    search_file = static_dir / f"search-{len(search_body)}.json"
    search_file.write_bytes(search_body)

    engine = time_engine(opts)

    # Every run starts from the same visit and session tables (this is the bench's own database).
    reset = {"booth_visits": BoothVisit.objects.count(), "sessions": Session.objects.count()}
    BoothVisit.objects.all().delete()
    Session.objects.all().delete()
    connections.close_all()
    return Prepared(
        counts=counts,
        booth_ids=measured,
        warmup_ids=warmup_ids,
        sequential_ids=sequential_ids,
        cold_ids=cold_ids,
        booth_sample_bytes=[len(b) for b in booth_bodies],
        booth_static_path=f"/static/bench-hall/{booth_file.name}",
        booth_static_bytes=len(booth_body),
        search_static_path=f"/static/bench-hall/{search_file.name}",
        search_static_bytes=len(search_body),
        query_bytes=query_bytes,
        query_hits=query_hits,
        engine=engine,
        reset=reset,
        database=database,
        database_version=database_version,
    )


def time_engine(opts: argparse.Namespace) -> dict[str, Any]:
    """The search engine alone, in this process: no HTTP, no serialisation."""
    from bizweek.expo import search
    from bizweek.expo.services import HallQuery, find_companies

    rng = random.Random(opts.seed)
    ranked: dict[str, list[float]] = {q: [] for _lang, q in QUERIES}
    say(f"engine in-process: ranked_ids × {opts.rounds} rounds")
    for q in ranked:
        search.ranked_ids(q)  # warm the page cache
    for _round in range(opts.rounds):
        for _lang, q in rng.sample(QUERIES, len(QUERIES)):
            started = time.perf_counter()
            search.ranked_ids(q)
            ranked[q].append(time.perf_counter() - started)

    say(
        f"engine in-process: find_companies + count + first 20 (as the API) × "
        f"{opts.engine_rounds} rounds"
    )
    parts: dict[str, dict[str, list[float]]] = {
        q: {"find": [], "count": [], "page": [], "total": []} for _lang, q in QUERIES
    }
    for _round in range(opts.engine_rounds):
        for _lang, q in rng.sample(QUERIES, len(QUERIES)):
            t0 = time.perf_counter()
            qs, _scores = find_companies(HallQuery(q=q, role="all"))
            t1 = time.perf_counter()
            qs.all().count()
            t2 = time.perf_counter()
            list(qs.prefetch_related("sectors", "hs_codes")[:20])
            t3 = time.perf_counter()
            for name, value in (("find", t1 - t0), ("count", t2 - t1), ("page", t3 - t2)):
                parts[q][name].append(value)
            parts[q]["total"].append(t3 - t0)

    def by_language(samples: dict[str, list[float]]) -> dict[str, Any]:
        return {
            lang: summary([s for l2, q in QUERIES if l2 == lang for s in samples[q]])
            for lang in LANGS
        }

    totals = {q: p["total"] for q, p in parts.items()}
    return {
        "ranked_ids": {
            "what": "bizweek.expo.search.ranked_ids(q): the FTS5 match and bm25 ranking",
            "rounds": opts.rounds,
            "overall": summary([s for v in ranked.values() for s in v]),
            "by_language": by_language(ranked),
        },
        "find_companies_page": {
            "what": "find_companies(HallQuery(q, role='all')), then .count() and the first 20 "
            "rows with sectors and HS codes prefetched: what /api/v1/companies does before "
            "serialising",
            "rounds": opts.engine_rounds,
            "overall": summary([s for v in totals.values() for s in v]),
            "by_language": by_language(totals),
            "parts_p50_ms": {
                name: summary([s for p in parts.values() for s in p[name]]).get("p50_ms")
                for name in ("find", "count", "page")
            },
        },
        "by_query": {
            q: {
                "ranked_ids_p50_ms": summary(ranked[q]).get("p50_ms"),
                "find_p50_ms": summary(parts[q]["find"]).get("p50_ms"),
                "count_p50_ms": summary(parts[q]["count"]).get("p50_ms"),
                "page_p50_ms": summary(parts[q]["page"]).get("p50_ms"),
            }
            for _lang, q in QUERIES
        },
    }


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


# --- the load generator --------------------------------------------------------------------


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


async def http_phases(opts: argparse.Namespace, prep: Prepared, server: Server) -> dict[str, Any]:
    port = server.port
    client = HttpClient(port)
    search_path = {q: "/api/v1/companies?" + urlencode({"q": q, "limit": 20}) for _l, q in QUERIES}

    say("warm-up: every query once per worker (and once more), 50 booths, both static files")
    warm = Load()
    for _round in range(server.workers + 1):
        for _lang, q in QUERIES:
            await timed_get(client, search_path[q], warm)
    for path in (prep.booth_static_path, prep.search_static_path):
        for _ in range(20):
            await timed_get(client, path, warm)
    await run_concurrent(
        [HttpClient(port) for _ in range(10)],
        [f"/booths/{pk}/" for pk in prep.warmup_ids],
        server,
        time.monotonic() + 60,
    )
    if warm.errors:
        raise BenchError(f"warm-up requests failed: {warm.errors}\n{server.log_tail()}")

    # Search: sequential, each query `rounds` times in a shuffled order, each request followed by
    # the static file of the median search response's size.
    rng = random.Random(opts.seed + 1)
    order = [item for _ in range(opts.rounds) for item in rng.sample(QUERIES, len(QUERIES))]
    say(
        f"search over HTTP: {len(QUERIES)} queries × {opts.rounds} rounds, each followed by "
        f"{prep.search_static_path}"
    )
    search_by_query, search_all, search_static, search_pairs = await run_sequential_pairs(
        client,
        [(search_path[q], prep.search_static_path) for _lang, q in order],
        [q for _lang, q in order],
        server,
        time.monotonic() + opts.phase_seconds,
    )
    s = summary(search_all.latencies)
    say(f"  search p50 {s.get('p50_ms')} ms, p99 {s.get('p99_ms')} ms")

    say(
        f"booth pages sequentially: {len(prep.sequential_ids)} never viewed (cache miss), then "
        "the same again (cache hit), each followed by the static file"
    )
    seq_paths = [f"/booths/{pk}/" for pk in prep.sequential_ids]
    booth_seq_by, booth_seq, booth_seq_static, _timeline = await run_sequential_pairs(
        client,
        [(path, prep.booth_static_path) for path in seq_paths * 2],
        ["first view"] * len(seq_paths) + ["second view"] * len(seq_paths),
        server,
        time.monotonic() + opts.phase_seconds,
    )
    await client.close()

    generator = "wrk" if opts.wrk else "python"
    booth_paths = [f"/booths/{pk}/" for pk in prep.booth_ids]
    if opts.wrk:
        # Every measured booth viewed once first: the load then measures the steady state of a
        # hall whose pages are in the cache (they stay BIZWEEK_BOOTH_CACHE_SECONDS). The cold
        # phase below measures pages nobody viewed yet.
        say(f"viewing the {len(booth_paths)} measured booths once (8 clients, not measured)")
        primed = await run_concurrent(
            [HttpClient(port) for _ in range(8)],
            booth_paths,
            server,
            time.monotonic() + opts.phase_seconds,
        )
        cold_paths = [f"/booths/{pk}/" for pk in prep.cold_ids]
        say(
            f"booth pages never viewed before: wrk, {opts.concurrency} clients, "
            f"{opts.cold_seconds:.0f} s over {len(cold_paths)} booths, each client its own share"
        )
        cold = run_wrk(
            server,
            cold_paths,
            connections=opts.concurrency,
            seconds=opts.cold_seconds,
            mode="slice",
            workdir=opts.data_dir,
        )
        c = cold.report()
        say(f"  cold booth {c['throughput_rps']} req/s p99 {c.get('p99_ms')} ms")
    else:
        booth_paths = (booth_paths * (opts.requests // len(booth_paths) + 1))[: opts.requests]
        primed, cold = None, None

    # Booth pages under load, in blocks alternating with the static file at the same concurrency.
    blocks = max(1, opts.blocks)
    size = -(-len(booth_paths) // blocks)
    booth_load, static_load = Load(), Load()
    per_block = []
    visitors = [HttpClient(port) for _ in range(opts.concurrency)]  # cookies kept across blocks
    deadline = time.monotonic() + opts.phase_seconds
    for block in range(blocks):
        if opts.wrk:
            say(
                f"block {block + 1}/{blocks}: wrk, {opts.block_seconds:.0f} s of booth pages "
                f"({len(booth_paths)} booths in rotation), then {opts.block_seconds:.0f} s of "
                f"{prep.booth_static_path}, {opts.concurrency} clients"
            )
            one = run_wrk(
                server,
                booth_paths,
                connections=opts.concurrency,
                seconds=opts.block_seconds,
                mode="rotate",
                workdir=opts.data_dir,
            )
            two = run_wrk(
                server,
                [prep.booth_static_path],
                connections=opts.concurrency,
                seconds=opts.block_seconds,
                mode="rotate",
                workdir=opts.data_dir,
            )
        else:
            chunk = booth_paths[block * size : (block + 1) * size]
            if not chunk:
                break
            say(
                f"block {block + 1}/{blocks}: {len(chunk)} booth pages, then {len(chunk)} × "
                f"{prep.booth_static_path}, {opts.concurrency} concurrent clients"
            )
            one = await run_concurrent(visitors, chunk, server, deadline)
            two = await run_concurrent(
                [HttpClient(port) for _ in range(opts.concurrency)],
                [prep.booth_static_path] * len(chunk),
                server,
                deadline + 30,
            )
        booth_load.merge(one)
        static_load.merge(two)
        b, st = one.report(), two.report()
        per_block.append(
            {
                name: {
                    k: r.get(k)
                    for k in ("n", "p50_ms", "p99_ms", "throughput_rps", "other_cpu_cores")
                }
                for name, r in (("booth", b), ("static", st))
            }
        )
        say(
            f"  booth {b['throughput_rps']} req/s p99 {b.get('p99_ms')} ms | "
            f"static {st['throughput_rps']} req/s p99 {st.get('p99_ms')} ms | "
            f"other processes {b.get('other_cpu_cores')} / {st.get('other_cpu_cores')} cores"
        )

    return {
        "generator": generator,
        "search_by_query": search_by_query,
        "search": search_all,
        "search_static": search_static,
        "search_pairs": search_pairs,
        "booth_sequential": booth_seq,
        "booth_sequential_by_view": booth_seq_by,
        "booth_sequential_static": booth_seq_static,
        "booth_primed": primed,
        "booth_cold": cold,
        "booth_load": booth_load,
        "static_load": static_load,
        "per_block": per_block,
    }


# --- results -------------------------------------------------------------------------------


def booth_views_written() -> int:
    from django.db.models import Sum

    from bizweek.expo.models import BoothVisit

    return BoothVisit.objects.aggregate(n=Sum("views"))["n"] or 0


def booth_pages_served(log_path: Path) -> int:
    """Booth pages the server answered with 200, from its access log."""
    pattern = re.compile(r'"GET /booths/\d+/ HTTP/1\.1" 200')
    try:
        return len(pattern.findall(log_path.read_text(errors="replace")))
    except OSError:
        return 0


def post_run_counts() -> dict[str, int]:
    from django.contrib.sessions.models import Session

    from bizweek.expo.models import BoothVisit

    return {
        "booth_visit_rows": BoothVisit.objects.count(),
        "sessions": Session.objects.count(),
    }


def config_summary(runs: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of one server configuration, with its ratios to the static file."""
    search = runs["search"].report()
    search_static = runs["search_static"].report()
    booth = runs["booth_load"].report()
    static = runs["static_load"].report()
    cold = runs["booth_cold"].report() if runs["booth_cold"] is not None else {}
    return {
        "configuration": runs["configuration"],
        "search_p50_ms": search.get("p50_ms"),
        "search_p99_ms": search.get("p99_ms"),
        "search_static_p99_ms": search_static.get("p99_ms"),
        "search_p99_vs_static_p99": ratio(search.get("p99_ms"), search_static.get("p99_ms")),
        "booth_p50_ms": booth.get("p50_ms"),
        "booth_p99_ms": booth.get("p99_ms"),
        "booth_throughput_rps": booth["throughput_rps"],
        "booth_server_cpu_ms_per_request": booth["server_cpu_ms_per_request"],
        "static_p99_ms": static.get("p99_ms"),
        "static_throughput_rps": static["throughput_rps"],
        "static_server_cpu_ms_per_request": static["server_cpu_ms_per_request"],
        "booth_p99_vs_static_p99": ratio(booth.get("p99_ms"), static.get("p99_ms")),
        "booth_throughput_vs_static": ratio(booth["throughput_rps"], static["throughput_rps"]),
        "booth_cold_p99_ms": cold.get("p99_ms"),
        "booth_cold_throughput_rps": cold.get("throughput_rps"),
        "other_processes_cpu_cores": {
            "booth": booth.get("other_cpu_cores"),
            "static": static.get("other_cpu_cores"),
        },
        "server_errors_logged": runs["server_errors_logged"],
        "visits": runs["visits"],
    }


def slowest_searches(runs: dict[str, Any], n: int = 10) -> list[dict[str, Any]]:
    """The slowest searches with the static request right after each: when that one is slow
    too, the server or the machine stalled (GC, another process), not the query."""
    pairs = [p for p in runs["search_pairs"] if p[1] is not None]
    pairs.sort(key=lambda p: p[1], reverse=True)
    return [
        {
            "q": label,
            "ms": round(page * 1000, 2),
            "static_after_ms": round(static * 1000, 2) if static is not None else None,
        }
        for label, page, static in pairs[:n]
    ]


def build_results(
    opts: argparse.Namespace,
    demo: dict[str, Any],
    prep: Prepared,
    all_runs: list[dict[str, Any]],
    after: dict[str, int],
    started_at: datetime,
    load_start: list[float] | None,
) -> dict[str, Any]:
    runs = all_runs[0]  # the headline configuration
    search_all: Load = runs["search"]
    search = search_all.report()
    search_static = runs["search_static"].report()
    booth = runs["booth_load"].report()
    static = runs["static_load"].report()
    booth_seq = runs["booth_sequential"].report()
    booth_seq_static = runs["booth_sequential_static"].report()
    by_query: dict[str, Load] = runs["search_by_query"]
    lang_of = {q: lang for lang, q in QUERIES}

    def language(lang: str) -> dict[str, Any]:
        return summary(
            [s for q, load in by_query.items() if lang_of[q] == lang for s in load.latencies]
        )

    errors = sum(
        sum(load.errors.values())
        for one in all_runs
        for key, load in one.items()
        if isinstance(load, Load) and key != "search_by_query"
    )
    cold = runs["booth_cold"].report() if runs["booth_cold"] is not None else None
    seq_by = {k: v.report() for k, v in runs["booth_sequential_by_view"].items()}
    search_p99, booth_p99 = search.get("p99_ms"), booth.get("p99_ms")
    targets = {
        name: {"max_ms": limit, "value_ms": value, "pass": value is not None and value < limit}
        for (name, limit), value in zip(TARGETS_MS.items(), (search_p99, booth_p99), strict=True)
    }
    targets["all_pass"] = all(t["pass"] for t in targets.values())
    booth_requests = booth["ok"] + sum(runs["booth_load"].errors.values())
    visits_lost = sum(one["visits"]["lost"] for one in all_runs)
    return {
        "benchmark": "hall",
        "valid": errors == 0 and visits_lost == 0,
        "failed_requests": errors,
        "visits_lost": visits_lost,
        "server_errors_logged": sum(one["server_errors_logged"] for one in all_runs),
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - _STARTED, 1),
        # headline figures (milliseconds)
        "search_p50_ms": search.get("p50_ms"),
        "search_p99_ms": search_p99,
        "booth_p50_ms": booth.get("p50_ms"),
        "booth_p99_ms": booth_p99,
        "booth_throughput_rps": booth["throughput_rps"],
        "static_p99_ms": static.get("p99_ms"),
        "static_throughput_rps": static["throughput_rps"],
        "search_static_p50_ms": search_static.get("p50_ms"),
        "search_static_p99_ms": search_static.get("p99_ms"),
        "search_p50_vs_static_p50": ratio(search.get("p50_ms"), search_static.get("p50_ms")),
        "search_p99_vs_static_p99": ratio(search_p99, search_static.get("p99_ms")),
        "booth_p99_vs_static_p99": ratio(booth_p99, static.get("p99_ms")),
        "booth_throughput_vs_static": ratio(booth["throughput_rps"], static["throughput_rps"]),
        "booth_cpu_vs_static_cpu": ratio(
            booth["server_cpu_ms_per_request"], static["server_cpu_ms_per_request"]
        ),
        "booth_cold_p99_ms": cold.get("p99_ms") if cold else None,
        "booth_cold_throughput_rps": cold.get("throughput_rps") if cold else None,
        "booth_first_view_p50_ms": seq_by.get("first view", {}).get("p50_ms"),
        "booth_second_view_p50_ms": seq_by.get("second view", {}).get("p50_ms"),
        "configuration": runs["configuration"],
        "load_generator": runs["generator"],
        "ratios_basis": (
            "static_p99_ms is the booth-size static file at the booth load's concurrency "
            "(booth_* ratios use it); search_* ratios use the search-size static file fetched "
            "sequentially, interleaved with the searches (search_static_*)."
        ),
        "booth_basis": (
            "booth_* figures are the steady state: every measured booth was viewed once before "
            "the load, so its page is in the cache, as in a hall that is being visited (pages "
            "stay BIZWEEK_BOOTH_CACHE_SECONDS); visitors are anonymous and each GET still "
            "checks permissions on fresh rows and records the visit. booth_cold_* are booths "
            "nobody viewed before, at the same concurrency; booth_first_view/second_view are "
            "one client's miss and hit."
            if runs["generator"] == "wrk"
            else "booth_* figures: each measured booth requested about once (cache misses)."
        ),
        "cpu_note": (
            "server_cpu_ms_per_request is the server process's CPU time (/proc, 10 ms ticks) "
            "over a phase divided by its requests; in the sequential phases (search, booth "
            "sequential) it includes the interleaved static request."
        ),
        "targets": targets,
        "configurations": [config_summary(one) for one in all_runs],
        # what ran
        "companies": prep.counts["companies"],
        "products": prep.counts["products"],
        "counts": prep.counts,
        "scale": opts.scale,
        "seed": opts.seed,
        "queries": [{"lang": lang, "q": q} for lang, q in QUERIES],
        "rounds": opts.rounds,
        "concurrency": opts.concurrency,
        "requests": opts.requests,
        "source": {**git_head(), "src_fingerprint": source_fingerprint()},
        "versions": {
            **versions(),
            **({"postgresql": prep.database_version} if prep.database_version else {}),
        },
        "machine": {**machine(), "loadavg_start": load_start, "loadavg_end": loadavg()},
        "setup": {
            "database": prep.database,
            "data_dir": str(opts.data_dir),
            "demo": demo,
            "server": f"bizweek serve: uvicorn, {runs['configuration']['workers']} worker(s), "
            "DEBUG=0, uvicorn access log on",
            "static_files": "WhiteNoise middleware of the same server; the two files are "
            "copies of a median booth page and a median search response, put in STATIC_ROOT",
            "load_generator": (
                f"{runs['configuration']['generator']} for the concurrent booth and static "
                "phases: one thread and one keep-alive connection per client, paths rotated by "
                "a Lua script, exact latency histograms; the sequential phases (search, booth "
                "one at a time) use this script's asyncio client"
                if runs["generator"] == "wrk"
                else "this script: asyncio keep-alive HTTP/1.1 clients in one process on the "
                "same machine; it competes with the server for the same "
                f"{machine()['nproc']} cores, and its own scheduling delay is inside every "
                "latency (install wrk for the concurrent phases: make bench does)"
            ),
            "other_processes": "other_cpu_cores in each phase is the machine's busy CPU time "
            "(/proc/stat) minus the server's and the load generator's, per second: what other "
            "processes took from the 2 cores while it ran",
            "visitors": "each of the concurrent clients keeps its cookies like a browser, so "
            "each is one anonymous visitor (one session); every booth GET records a BoothVisit "
            "(a database write), as in production",
            "reset_before_run": prep.reset,
        },
        "search": {
            "endpoint": "/api/v1/companies?q=QUERY&limit=20 (anonymous, role all)",
            "http": {
                "overall": search,
                "by_language": {lang: language(lang) for lang in LANGS},
                "static_same_size": {
                    "path": prep.search_static_path,
                    "bytes": prep.search_static_bytes,
                    **search_static,
                },
            },
            "by_query": [
                {
                    "lang": lang,
                    "q": q,
                    "hits": prep.query_hits[q],
                    "bytes": prep.query_bytes[q],
                    "http_p50_ms": summary(by_query[q].latencies).get("p50_ms")
                    if q in by_query
                    else None,
                    "http_p99_ms": summary(by_query[q].latencies).get("p99_ms")
                    if q in by_query
                    else None,
                    "http_max_ms": summary(by_query[q].latencies).get("max_ms")
                    if q in by_query
                    else None,
                    **prep.engine["by_query"][q],
                }
                for lang, q in QUERIES
            ],
            "slowest": slowest_searches(runs),
            "in_process": {
                "ranked_ids": prep.engine["ranked_ids"],
                "find_companies_page": prep.engine["find_companies_page"],
                "ranked_ids_p50_share_of_http_p50": ratio(
                    prep.engine["ranked_ids"]["overall"].get("p50_ms"), search.get("p50_ms")
                ),
                "find_companies_page_p50_share_of_http_p50": ratio(
                    prep.engine["find_companies_page"]["overall"].get("p50_ms"),
                    search.get("p50_ms"),
                ),
            },
        },
        "booth": {
            "path": "/booths/<seller id>/ (anonymous)",
            "distinct_booths": len(set(prep.booth_ids)),
            "blocks": opts.blocks,
            "page_bytes_in_process": {
                "min": min(prep.booth_sample_bytes),
                "median": median_int(prep.booth_sample_bytes),
                "max": max(prep.booth_sample_bytes),
            },
            "load": booth,
            "per_block": runs["per_block"],
            "static_same_size": {
                "path": prep.booth_static_path,
                "bytes": prep.booth_static_bytes,
                **static,
            },
            "cold": cold,
            "primed": runs["booth_primed"].report() if runs["booth_primed"] else None,
            "sequential": {
                "what": "one client, each booth page followed by the static file; every booth "
                "twice: its first view (cache miss) and its second (cache hit)",
                "booth": booth_seq,
                "by_view": seq_by,
                "static": booth_seq_static,
                "booth_p50_vs_static_p50": ratio(
                    booth_seq.get("p50_ms"), booth_seq_static.get("p50_ms")
                ),
            },
            "writes": {
                "booth_requests": booth_requests,
                "after_run": after,
                "note": "booth_visit_rows counts every booth GET of this run (warm-up and "
                "sequential included); sessions is about one per client",
            },
        },
    }


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def print_summary(results: dict[str, Any]) -> None:
    t = results["targets"]

    def mark(name: str) -> str:
        return "PASS" if t[name]["pass"] else "MISS"

    print()
    print(f"companies {results['companies']}, products {results['products']}")
    print(
        f"search  p50 {results['search_p50_ms']} ms  p99 {results['search_p99_ms']} ms  "
        f"(static same size p99 {results['search_static_p99_ms']} ms, "
        f"ratio {results['search_p99_vs_static_p99']})  target <100 ms: {mark('search_p99_ms')}"
    )
    print(
        f"booth   p99 {results['booth_p99_ms']} ms  {results['booth_throughput_rps']} req/s  "
        f"(static same size p99 {results['static_p99_ms']} ms, "
        f"{results['static_throughput_rps']} req/s, ratio {results['booth_p99_vs_static_p99']})"
        f"  target <150 ms: {mark('booth_p99_ms')}"
    )
    if results.get("booth_cold_p99_ms") is not None:
        print(
            f"booth   never viewed before: p99 {results['booth_cold_p99_ms']} ms  "
            f"{results['booth_cold_throughput_rps']} req/s"
        )
    for one in results["configurations"]:
        print(
            f"  {one['configuration']['server']}, {one['configuration']['cache']}: booth p99 "
            f"{one['booth_p99_ms']} ms {one['booth_throughput_rps']} req/s; static p99 "
            f"{one['static_p99_ms']} ms {one['static_throughput_rps']} req/s; search p99 "
            f"{one['search_p99_ms']} ms; other processes {one['other_processes_cpu_cores']} cores"
        )
    if not results["valid"]:
        print(f"{results['failed_requests']} requests failed: the figures are not valid")


# --- main ----------------------------------------------------------------------------------


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10, help="Times each query runs.")
    parser.add_argument(
        "--engine-rounds",
        type=int,
        default=3,
        help="Rounds of the in-process find_companies timing (ranked_ids uses --rounds).",
    )
    parser.add_argument(
        "--workers",
        default="2,1",
        help="Server configurations to measure, as worker counts: the first is the headline, "
        "the others are listed beside it in `configurations`. More than one worker runs with "
        "Redis (REDIS_URL, else a redis-server started here); one worker uses the local "
        "memory cache, like `make run`. Default: 2,1.",
    )
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="Load generator of the concurrent phases: wrk when installed (auto), or this "
        "script's asyncio clients.",
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--requests",
        type=int,
        default=2000,
        help="Distinct booths in the load (the Python generator requests each once).",
    )
    parser.add_argument("--blocks", type=int, default=4, help="Booth/static alternations.")
    parser.add_argument(
        "--block-seconds", type=float, default=8.0, help="wrk: seconds of each booth/static block."
    )
    parser.add_argument(
        "--cold-seconds", type=float, default=6.0, help="wrk: seconds of never-viewed booths."
    )
    parser.add_argument("--sequential", type=int, default=100, help="Booth pages one at a time.")
    parser.add_argument(
        "--phase-seconds", type=float, default=180.0, help="Time limit of each measured phase."
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-hall")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="PostgreSQL database to build the demo in and measure with "
        "(postgres://USER:PASSWORD@HOST:PORT/DBNAME), instead of SQLite in --data-dir. It "
        "must be the benchmark's own: a rebuild replaces its events, companies and users.",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="Delete the database in --data-dir (or the demo in --database-url) and rebuild.",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "hall.json")
    opts = parser.parse_args(argv)
    if opts.database_url is not None:
        parts = urlsplit(opts.database_url)
        if parts.scheme not in {"postgres", "postgresql"} or not parts.path.strip("/"):
            parser.error("--database-url takes postgres://USER:PASSWORD@HOST:PORT/DBNAME")
    opts.data_dir = opts.data_dir.resolve()
    opts.static_root = opts.data_dir / "static-bench"
    try:
        opts.worker_counts = [int(w) for w in opts.workers.split(",") if w.strip()]
    except ValueError:
        parser.error("--workers takes worker counts separated by commas, e.g. 2,1")
    if not opts.worker_counts or min(opts.worker_counts) < 1:
        parser.error("--workers needs at least one count >= 1")
    if min(opts.rounds, opts.engine_rounds, opts.concurrency, opts.requests, opts.blocks) < 1:
        parser.error("rounds, engine-rounds, concurrency, requests and blocks must be >= 1")
    if opts.generator == "wrk" and wrk_binary() is None:
        parser.error("--generator wrk: wrk is not installed (apt-get install wrk)")
    opts.wrk = opts.generator == "wrk" or (opts.generator == "auto" and wrk_binary() is not None)
    return opts


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_configuration(
    opts: argparse.Namespace,
    prep: Prepared,
    env: dict[str, str],
    workers: int,
    cleanup: list[Any],
) -> dict[str, Any]:
    """Start the server in one configuration, run every HTTP phase against it, stop it."""
    server_env = dict(env)
    redis = None
    cache = "Django local-memory cache (one process)"
    if workers > 1:
        redis = RedisServer(opts.data_dir)
        cleanup.append(redis)
        server_env["REDIS_URL"] = redis.start()
        # What docs/deployment.md recommends with Redis: sessions read from the cache.
        server_env["BIZWEEK_SESSION_ENGINE"] = "django.contrib.sessions.backends.cached_db"
        cache = f"Django RedisCache and channels-redis: {redis.description}"
    db_backends = pg_backend_pattern(opts.database_url) if opts.database_url else None
    server = Server(server_env, free_port(), opts.data_dir / "server.log", workers, db_backends)
    cleanup.append(server)
    views_before = booth_views_written()
    server.start()
    server.wait_ready(prep.booth_static_path)
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runs = runner.run(http_phases(opts, prep, server))
    server.stop()  # SIGTERM: each worker writes its last batch of visits as it exits
    if redis is not None:
        redis.stop()
    served, written = booth_pages_served(server.log_path), booth_views_written() - views_before
    runs["visits"] = {
        "booth_pages_served": served,
        "views_written": written,
        "lost": max(0, served - written),
        "note": "every booth page served (access log, status 200) must be one view in the "
        "database once the server stopped: visits are written in batches (expo/visits.py). "
        "A few more views than log lines are expected: when wrk stops a phase it closes "
        "connections with requests in flight, whose visits count but which uvicorn does not "
        "log (at most one per connection and phase)",
    }
    binary = wrk_binary()
    runs["server_errors_logged"] = server.logged_errors()
    runs["configuration"] = {
        "workers": workers,
        "server": f"bizweek serve --workers {workers} (uvicorn)",
        "database": f"{prep.database}, one persistent connection per HTTP thread "
        "(DATABASE_CONN_MAX_AGE default)"
        + (
            "; server CPU includes the PostgreSQL backends serving this database"
            if opts.database_url
            else ""
        ),
        "http_threads": int(server_env.get("BIZWEEK_HTTP_THREADS", "0")) or "default",
        "cache": cache,
        "sessions": server_env.get(
            "BIZWEEK_SESSION_ENGINE", "django.contrib.sessions.backends.cached_db (the default)"
        ),
        "generator": wrk_version(binary) if opts.wrk and binary else "python asyncio",
    }
    return runs


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    started_at = datetime.now(UTC)
    load_start = loadavg()
    cleanup: list[Any] = []
    try:
        ensure_venv()
        opts.data_dir.mkdir(parents=True, exist_ok=True)
        opts.static_root.mkdir(parents=True, exist_ok=True)
        env = bench_env(opts.data_dir, opts.static_root, opts.database_url)
        for name in ("DATABASE_URL", "REDIS_URL"):  # this process measures the same database
            os.environ.pop(name, None)
        os.environ.update(env)  # DATABASE_URL again when --database-url is given
        demo = ensure_demo(opts, env)
        prep = prepare(opts, free_port())
        all_runs = []
        for workers in opts.worker_counts:
            say(f"== configuration: {workers} worker(s)")
            all_runs.append(run_configuration(opts, prep, env, workers, cleanup))
        after = post_run_counts()
        results = build_results(opts, demo, prep, all_runs, after, started_at, load_start)
    except BenchError as error:
        print(f"hall benchmark cannot run: {error}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("hall benchmark failed: see the traceback above", file=sys.stderr)
        return 2
    finally:
        for item in reversed(cleanup):
            item.stop()
    write_results(opts.output, results)
    say(f"wrote {opts.output}")
    print_summary(results)
    return 0 if results["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
