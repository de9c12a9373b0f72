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
import json
import os
import platform
import random
import re
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import git_head, loadavg, machine  # noqa: E402
from hallcommon import (  # noqa: E402
    BIZWEEK,
    STARTED,
    BenchError,
    median_int,
    ratio,
    say,
    summary,
    tree_fingerprint,
)
from halldata import ensure_demo, pg_backend_pattern  # noqa: E402
from loadgen import (  # noqa: E402
    HttpClient,
    Load,
    run_concurrent,
    run_sequential_pairs,
    run_wrk,
    timed_get,
    wrk_binary,
    wrk_version,
)
from servers import RedisServer, Server, bench_env, free_port  # noqa: E402
from workload import LANGS, QUERIES, Prepared, prepare  # noqa: E402

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
TARGETS_MS = {"search_p99_ms": 100.0, "booth_p99_ms": 150.0}


# --- what ran ------------------------------------------------------------------------------


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


# --- environment ---------------------------------------------------------------------------


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


# --- the HTTP phases -----------------------------------------------------------------------


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
        "duration_s": round(time.monotonic() - STARTED, 1),
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
