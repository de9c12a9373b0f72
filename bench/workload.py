"""What the hall benchmark requests, prepared in-process (django.setup()): the query mix, the
booths of each phase, static copies of a median booth page and a median search response, and the
search engine timed alone, without HTTP.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from typing import Any

from hallcommon import HOST, BenchError, say, summary
from halldata import index_rows, pg_index_rows, pg_where

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
