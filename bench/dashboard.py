"""Dashboard benchmark: the organizer's figures page and exports over ~50,000 meetings.

The data are generated here with bulk inserts, at the company counts of `bizweek demo --scale 10`
(4,730 sellers and 6,310 buyers, in the demo's countries and sectors) but without products or
booths, which no figure reads: meetings (4 in 5 held, 1 in 10 a no-show), both sides'
consultation logs in USD, KRW and CNY (agreeing or not), meeting requests and booth visits.
Building the full demo at scale 10 would take most of the run; the figures would not change.

Measured in one process with Django's test client (no server: the numbers are the view's own;
the process's long-lived objects frozen out of the garbage collector after a first request, as
`bizweek serve` does).
The figures are cached per data version (src/bizweek/dashboard/cache.py), so the page is timed
three ways:

- page_ms: GET /organizer/figures/ with the data unchanged since the figures were computed
  (warm: median of the timed runs after one warm-up) -- what every view but the first after a
  change costs;
- page_cold_ms: the first view after a change: before each run one consultation log is
  written (an UPDATE, as filing a log does), so the meetings section is computed again (the
  companies and booth-visit sections are still cached, their tables did not change);
- page_uncached_ms: the cache emptied before each run, every figure computed (a fresh
  server, or a change to every table at once);
- queries_per_page: SQL queries of the warm page; queries_per_page_uncached of the fully
  computed one, at the full size and for one day (equal: the page aggregates in the database);
- export_seconds: GET /organizer/figures/meetings.xlsx (every meeting with both sides, times in
  each side's zone, outcome and both logs); also every table as one XLSX, and the PDF report;
- baseline: GET /organizer/audit/ (a small paginated page of the same site) timed the same way.

Results: bench/results/dashboard.json. Usage:
    .venv/bin/python bench/dashboard.py [--meetings 50000] [--runs 5] [--rebuild]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT / "var" / "bench-dashboard"

from benchlib import git_head, loadavg, machine  # noqa: E402

SELLERS, BUYERS = 473 * 10, 631 * 10
COUNTRIES = ["CN", "TW", "HK", "VN", "TH", "ID", "MY", "US", "JP", "IN", "AE", "SG"]
ZONES = {
    "CN": "Asia/Shanghai",
    "TW": "Asia/Taipei",
    "HK": "Asia/Hong_Kong",
    "VN": "Asia/Ho_Chi_Minh",
    "TH": "Asia/Bangkok",
    "ID": "Asia/Jakarta",
    "MY": "Asia/Kuala_Lumpur",
    "US": "America/Los_Angeles",
    "JP": "Asia/Tokyo",
    "IN": "Asia/Kolkata",
    "AE": "Asia/Dubai",
    "SG": "Asia/Singapore",
}


def setup(rebuild: bool) -> None:
    os.environ["BIZWEEK_DATA_DIR"] = str(DATA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
    if rebuild and DATA.exists():
        for name in DATA.glob("bizweek.sqlite3*"):
            name.unlink()
    DATA.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(meetings: int, seed: int) -> dict:
    """Generate the event unless the database already holds it; return its sizes."""
    from django.db import transaction

    from bizweek.accounts.models import Role, User
    from bizweek.companies.models import Company, Sector
    from bizweek.events.models import Event
    from bizweek.expo.models import BoothVisit
    from bizweek.matching.models import MeetingRequest
    from bizweek.meetings.models import ConsultationLog, Meeting, MeetingOutcome

    if Meeting.objects.count() >= meetings:
        return sizes()
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    with transaction.atomic():
        event = Event.objects.create(
            slug="bench",
            name="Bench Bizweek",
            timezone="Asia/Seoul",
            registration_opens_at=start - timedelta(days=60),
            registration_closes_at=start - timedelta(days=5),
            starts_at=start,
            ends_at=start + timedelta(days=5),
            matching_ends_at=start + timedelta(days=40),
        )
        User.objects.create_user(email="organizer@bench.test", password=None, role=Role.ORGANIZER)
        companies = [
            Company(
                role="seller",
                status="approved" if i % 20 else "pending",
                name_ko=f"수출기업 {i}",
                name_en=f"Seller {i}",
                country="KR",
                timezone="Asia/Seoul",
                external_id=f"S{i}",
            )
            for i in range(SELLERS)
        ]
        for i in range(BUYERS):
            country = COUNTRIES[i % len(COUNTRIES)]
            companies.append(
                Company(
                    role="buyer",
                    status="approved" if i % 25 else "rejected",
                    name_en=f"Buyer {i}",
                    name_zh_hans=f"买家 {i}",
                    country=country,
                    timezone=ZONES[country],
                    external_id=f"B{i}",
                )
            )
        Company.objects.bulk_create(companies, batch_size=2000)
        sellers = list(Company.objects.filter(role="seller").values_list("pk", flat=True))
        buyers = list(Company.objects.filter(role="buyer").values_list("pk", flat=True))
        sectors = list(Sector.objects.values_list("pk", flat=True))
        through = Company.sectors.through
        through.objects.bulk_create(
            [
                through(company_id=pk, sector_id=rng.choice(sectors))
                for pk in sellers + buyers
                for _ in range(1 + (pk % 2))
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        rows, requests = [], []
        for i in range(meetings):
            seller, buyer = sellers[i % len(sellers)], rng.choice(buyers)
            slot = start + timedelta(days=i % 5, hours=1 + (i // len(sellers)) % 10)
            requests.append(
                MeetingRequest(
                    event=event,
                    from_company_id=buyer,
                    to_company_id=seller,
                    pair_low=min(seller, buyer),
                    pair_high=max(seller, buyer),
                    state="accepted",
                )
            )
            rows.append(
                Meeting(
                    event=event,
                    seller_id=seller,
                    buyer_id=buyer,
                    starts_at=slot,
                    ends_at=slot + timedelta(minutes=30),
                    needs_interpreter=i % 3 == 0,
                    languages=["ko-zh", "ko-en", "ko-vi"][i % 3] if i % 3 == 0 else "",
                )
            )
        for i in range(meetings // 5):
            seller, buyer = rng.choice(sellers), rng.choice(buyers)
            requests.append(
                MeetingRequest(
                    event=event,
                    from_company_id=buyer,
                    to_company_id=seller,
                    pair_low=min(seller, buyer),
                    pair_high=max(seller, buyer),
                    state=["declined", "expired", "cancelled"][i % 3],
                )
            )
        MeetingRequest.objects.bulk_create(requests, batch_size=5000)
        Meeting.objects.bulk_create(rows, batch_size=5000)
        outcomes, logs = [], []
        currencies = [("USD", Decimal(1)), ("KRW", Decimal("0.00075")), ("CNY", Decimal("0.14"))]
        for meeting in Meeting.objects.filter(event=event).values("pk", "seller_id", "buyer_id"):
            draw = rng.random()
            if draw < 0.1:
                outcomes.append(MeetingOutcome(meeting_id=meeting["pk"], outcome="no_show_buyer"))
                continue
            if draw > 0.9:
                continue  # undecided
            outcomes.append(MeetingOutcome(meeting_id=meeting["pk"], outcome="held"))
            usd = Decimal(rng.randrange(1_000, 500_000))
            agree = rng.random() < 0.6
            for side in ("seller_id", "buyer_id"):
                if side == "buyer_id" and rng.random() < 0.3:
                    continue  # one-sided
                currency, rate = currencies[rng.randrange(3)]
                value = usd if agree or side == "seller_id" else usd * Decimal("1.2")
                logs.append(
                    ConsultationLog(
                        meeting_id=meeting["pk"],
                        company_id=meeting[side],
                        consultation_amount=(value / rate).quantize(Decimal("0.01")),
                        consultation_currency=currency,
                        consultation_usd=value,
                        consultation_confirmed=agree,
                        expected_contract_amount=value / 4,
                        expected_contract_usd=value / 4,
                        expected_contract_confirmed=agree,
                        signed_contract_amount=value / 10 if agree else None,
                        signed_contract_usd=value / 10 if agree else None,
                        signed_contract_confirmed=agree,
                        mou_signed=rng.random() < 0.05,
                    )
                )
        MeetingOutcome.objects.bulk_create(outcomes, batch_size=5000)
        ConsultationLog.objects.bulk_create(logs, batch_size=5000)
        visits = [
            BoothVisit(
                company_id=rng.choice(sellers),
                day=(start + timedelta(days=i % 5)).date(),
                visitor_key=f"v{i}",
                country=rng.choice(COUNTRIES),
                views=1 + i % 4,
            )
            for i in range(meetings * 2)
        ]
        BoothVisit.objects.bulk_create(visits, batch_size=5000, ignore_conflicts=True)
    return sizes()


def sizes() -> dict:
    from bizweek.companies.models import Company
    from bizweek.expo.models import BoothVisit
    from bizweek.matching.models import MeetingRequest
    from bizweek.meetings.models import ConsultationLog, Meeting

    return {
        "companies": Company.objects.count(),
        "meetings": Meeting.objects.count(),
        "consultation_logs": ConsultationLog.objects.count(),
        "meeting_requests": MeetingRequest.objects.count(),
        "booth_visits": BoothVisit.objects.count(),
    }


def timed(client, url: str, runs: int) -> tuple[float, list[float], int, float]:  # noqa: ANN001
    """Median wall milliseconds over `runs` after a warm-up, each run's time, the queries, and
    the median CPU milliseconds of this process (Python and SQLite both run in it, so on a
    loaded machine this is the cost without waiting for a core)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    times, cpu = [], []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        if response.status_code != 200 or not body:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        queries = len(captured.captured_queries)
    return statistics.median(times), [round(t, 1) for t in times], queries, statistics.median(cpu)


def timed_after(client, url: str, runs: int, before) -> tuple[float, list[float], int, float]:  # noqa: ANN001
    """Like `timed`, but `before()` runs (untimed) before each request: a write to the data or
    emptying the cache, so that each timed view computes its figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu = [], []
    queries = 0
    for _ in range(runs):
        before()
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.content
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        if response.status_code != 200 or not body:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        queries = len(captured.captured_queries)
    return statistics.median(times), [round(t, 1) for t in times], queries, statistics.median(cpu)


def touch_a_log() -> None:
    """One consultation log written again (its updated_at moves), as filing or editing a log
    does: every figure that reads meetings or logs has to be computed anew."""
    from django.utils import timezone

    from bizweek.meetings.models import ConsultationLog

    ConsultationLog.objects.filter(
        pk=ConsultationLog.objects.order_by("pk").values("pk")[:1]
    ).update(updated_at=timezone.now())


def empty_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    setup(args.rebuild)
    from django.conf import settings
    from django.test import Client

    from bizweek.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    load_before = loadavg()
    began = time.perf_counter()
    data = build(args.meetings, args.seed)
    build_seconds = round(time.perf_counter() - began, 1)
    client = Client()
    client.force_login(User.objects.get(email="organizer@bench.test"))

    page = "/organizer/figures/"
    # The process as `bizweek serve` keeps it (core/management/commands/serve.py): after
    # start and a first request, the objects alive are frozen out of the garbage collector's
    # view, so a full collection inside a request does not traverse the whole heap (without
    # it, the cold view took 0.36 s instead of 0.22 s here, in a separate experiment).
    client.get(page)
    gc.collect()
    gc.freeze()
    page_ms, page_runs, queries, page_cpu = timed(client, page, args.runs)
    cold_ms, cold_runs, cold_queries, cold_cpu = timed_after(client, page, args.runs, touch_a_log)
    full_ms, full_runs, full_queries, full_cpu = timed_after(client, page, args.runs, empty_cache)
    # A tenth of the period: the same queries over a tenth of the meetings.
    one_day = "/organizer/figures/?since=2026-11-02&until=2026-11-02"
    small_ms, _runs, small_queries, _cpu = timed(client, one_day, args.runs)
    small_full_ms, _runs, small_full_queries, _cpu = timed_after(
        client, one_day, args.runs, empty_cache
    )
    load_pages = loadavg()
    base_ms, base_runs, base_queries, base_cpu = timed(client, "/organizer/audit/", args.runs)
    export_ms, _runs, _q, export_cpu = timed(client, "/organizer/figures/meetings.xlsx", 1)
    csv_ms, _runs, _q, csv_cpu = timed(client, "/organizer/figures/meetings.csv", 1)
    tables_ms, _runs, _q, _cpu = timed(client, "/organizer/figures/all.xlsx", 1)
    pdf_ms, _runs, _q, pdf_cpu = timed(client, "/organizer/figures/report.pdf?lang=ko", 1)
    api_ms, _runs, _q, api_cpu = timed(client, "/api/v1/stats", args.runs)
    api_cold_ms, _runs, _q, api_cold_cpu = timed_after(
        client, "/api/v1/stats", args.runs, touch_a_log
    )

    import django

    result = {
        "benchmark": "dashboard",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": (
            "Django test client in one process against SQLite (WAL); data bulk-generated at "
            "the company counts of demo scale 10 (no products or booths)"
        ),
        "sizes": data,
        "meetings": data["meetings"],
        "build_seconds": build_seconds,
        "measures": {
            "page_ms": (
                "warm: GET /organizer/figures/ with the data unchanged since the figures were "
                "cached (median of the runs after one warm-up); every view but the first after "
                "a change"
            ),
            "page_cold_ms": (
                "cold: the first view after a change (one consultation log updated before each "
                "run): the meetings section (funnel, interpreters, consultation tables) is "
                "computed again, companies and booth visits come from the cache"
            ),
            "page_uncached_ms": (
                "the cache emptied before each run: every figure computed, as before caching"
            ),
            "api_stats_ms": "GET /api/v1/stats, warm; api_stats_cold_ms after a log update",
            "cpu": "*_cpu_*: CPU time of this process (Python and SQLite both run in it)",
            "process": (
                "as bizweek serve keeps it: gc.collect() and gc.freeze() after start and a "
                "first request"
            ),
            "exports": (
                "export_seconds, tables_xlsx_seconds, report_pdf_seconds: each timed once "
                "after a warm-up request, so their figures come from the cache; the meetings "
                "list is not cached (it is every meeting, not aggregates)"
            ),
        },
        "page_ms": round(page_ms, 1),
        "page_runs_ms": page_runs,
        "page_cpu_ms": round(page_cpu, 1),
        "page_cold_ms": round(cold_ms, 1),
        "page_cold_runs_ms": cold_runs,
        "page_cold_cpu_ms": round(cold_cpu, 1),
        "page_uncached_ms": round(full_ms, 1),
        "page_uncached_runs_ms": full_runs,
        "page_uncached_cpu_ms": round(full_cpu, 1),
        "queries_per_page": queries,
        "queries_per_page_cold": cold_queries,
        "queries_per_page_uncached": full_queries,
        "queries_per_page_one_day": small_queries,
        "queries_per_page_one_day_uncached": small_full_queries,
        "page_one_day_ms": round(small_ms, 1),
        "page_one_day_uncached_ms": round(small_full_ms, 1),
        "export_seconds": round(export_ms / 1000, 2),
        "export_cpu_seconds": round(export_cpu / 1000, 2),
        "export_csv_seconds": round(csv_ms / 1000, 2),
        "tables_xlsx_seconds": round(tables_ms / 1000, 2),
        "export_csv_cpu_seconds": round(csv_cpu / 1000, 2),
        "report_pdf_seconds": round(pdf_ms / 1000, 2),
        "report_pdf_cpu_seconds": round(pdf_cpu / 1000, 2),
        "api_stats_ms": round(api_ms, 1),
        "api_stats_cpu_ms": round(api_cpu, 1),
        "api_stats_cold_ms": round(api_cold_ms, 1),
        "api_stats_cold_cpu_ms": round(api_cold_cpu, 1),
        "baseline": {
            "what": "GET /organizer/audit/ (50 rows, paginated), same client and database",
            "ms": round(base_ms, 1),
            "runs_ms": base_runs,
            "queries": base_queries,
            "cpu_ms": round(base_cpu, 1),
        },
        "page_to_baseline_ratio": round(page_ms / base_ms, 1) if base_ms else None,
        "machine_loadavg_before": load_before,
        "machine_loadavg_after_page_runs": load_pages,
        "targets": {"page_ms": 500, "export_seconds": 10},
        "meets_page_target": {"warm": page_ms < 500, "cold": cold_ms < 500},
        "versions": {"python": sys.version.split()[0], "django": django.get_version()},
        "machine": {**machine(), "loadavg": loadavg(), "shared": True},
        "note": (
            "The machine was shared with other developers' work (2 cores, 7 developers; see the "
            "load averages); "
            "run under flock /tmp/bizweek-bench.lock so no other benchmark overlapped."
        ),
        "git": git_head(),
    }
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
