"""What the figures' database triggers cost writers on PostgreSQL (issue 12).

Two kinds of trigger sit on the tables the organizer's figures read:

- the data-version counter (migration dashboard/0003): one row that every transaction writing
  those tables updates, so on PostgreSQL such transactions queue on it until they commit;
- the per-meeting figure rows (migration dashboard/0004): a row trigger that recomputes the
  written meeting's row.

Measured here with the real write a user makes, `meetings.services.file_log` (a 상담일지
filed or corrected: the log, then the confirmation flags of both logs, in one transaction),
from W threads at once, each on its own meeting and its own database connection, for a few
seconds each, in three configurations side by side in one run (interleaved, so load drift
hits all three alike):

- ``deployed``: every trigger as migrated (the counter spread over 16 rows, migration 0005);
- ``one_counter_row``: as deployed, but every writer raising the same counter row (as before
  migration 0005);
- ``no_counter``: the counter triggers disabled (what the counter row costs);
- ``no_triggers``: the counter and the per-meeting triggers disabled (what both cost).

Results: bench/results/figures_writers.json (commits per second and latency percentiles per
configuration and writer count). Needs a PostgreSQL server; by default
postgres://bizweek:bizweek@127.0.0.1:5432/bizweek_bench_writers (dropped and created anew; the
role must be allowed to create databases, as the tests' role is). `.ci/postgres` installs and
starts one on Debian with that role; `make bench` runs it first.

Usage: .venv/bin/python bench/figures_writers.py [--database-url URL] [--seconds 4]
       [--writers 1 8 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from benchlib import git_head, loadavg, machine  # noqa: E402

DEFAULT_URL = "postgres://bizweek:bizweek@127.0.0.1:5432/bizweek_bench_writers"
COUNTER_TABLES = ("meetings_consultationlog", "meetings_meeting", "meetings_meetingoutcome")
CONFIGS = ("deployed", "one_counter_row", "no_counter", "no_triggers")


def ensure_database(url: str) -> None:
    """Create the benchmark's database afresh (it holds nothing else); exit with how to start
    PostgreSQL when the server cannot be reached."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"bench/figures_writers.py needs PostgreSQL at {parts.hostname}:{parts.port}: {error}\n"
            "On Debian, as root: bash .ci/postgres (installs and starts it with the role the "
            "tests use; `make bench` runs it), or pass --database-url."
        ) from None


def setup(url: str, writers: int) -> list[tuple]:
    """Migrate, then one meeting (already started), its seller and a member per writer."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
    os.environ.setdefault("BIZWEEK_DATA_DIR", str(ROOT / "var" / "bench-writers"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone
    from tests import factories

    from bizweek.meetings.models import ConsultationLog, Meeting

    now = timezone.now()
    event = factories.make_event(matching_ends_at=now + timedelta(days=30))
    pairs = []
    for n in range(writers):
        seller = factories.make_company(name_ko=f"판매사 {n}")
        buyer = factories.make_company(role="buyer", country="TH", name_en=f"Buyer {n}")
        meeting = Meeting.objects.create(
            event=event,
            seller=seller,
            buyer=buyer,
            starts_at=now - timedelta(hours=1),
            ends_at=now - timedelta(minutes=30),
        )
        member = factories.make_member(seller, email=f"writer{n}@bench.test")
        pairs.append((meeting, seller, member))
    # Each meeting starts with the buyer's log, so every write also compares the two sides.
    ConsultationLog.objects.bulk_create(
        [
            ConsultationLog(meeting=m, company=m.buyer, consultation_usd=Decimal("1000"))
            for m, _s, _u in pairs
        ]
    )
    return pairs


def set_triggers(config: str) -> None:
    from importlib import import_module

    from django.db import connection

    shards = import_module("bizweek.dashboard.migrations.0005_figures_version_shards")
    row = "1" if config == "one_counter_row" else f"1 + mod(pg_backend_pid(), {shards.SHARDS})"
    with connection.cursor() as cursor:
        for column in shards.COLUMNS:
            cursor.execute(shards._function(column, row))
    counter = "DISABLE" if config in ("no_counter", "no_triggers") else "ENABLE"
    figures = "DISABLE" if config == "no_triggers" else "ENABLE"
    with connection.cursor() as cursor:
        for table in COUNTER_TABLES:
            cursor.execute(f"ALTER TABLE {table} {counter} TRIGGER figures_version")
            for name in ("meeting_figures", "meeting_figures_update"):
                cursor.execute(f"ALTER TABLE {table} {figures} TRIGGER {name}")


def run(pairs: list[tuple], writers: int, seconds: float) -> dict:
    """`writers` threads filing logs for `seconds`; commits per second and latencies."""
    from django.db import connection

    from bizweek.meetings.services import file_log

    latencies: list[list[float]] = [[] for _ in range(writers)]
    start = threading.Barrier(writers + 1)
    stop_at = [0.0]
    errors: list[str] = []

    def work(k: int) -> None:
        meeting, seller, member = pairs[k]
        amount = 1000
        try:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                amount += 1
                began = time.perf_counter()
                file_log(
                    meeting, company=seller, by=member, consultation_amount=Decimal(amount % 1100)
                )
                latencies[k].append(time.perf_counter() - began)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(writers)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    every = sorted(x for per in latencies for x in per)
    if not every:
        return {"commits": 0, "errors": errors[:3]}

    def pct(q: float) -> float:
        return round(every[min(len(every) - 1, int(q * len(every)))] * 1000, 2)

    return {
        "commits": len(every),
        "commits_per_second": round(len(every) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ensure_database(args.database_url)
    pairs = setup(args.database_url, max(args.writers))
    from django.db import connection

    samples: dict[str, dict[int, list[dict]]] = {c: {w: [] for w in args.writers} for c in CONFIGS}
    load_before = loadavg()
    try:
        for round_ in range(args.rounds):
            for writers in args.writers:
                order = CONFIGS if round_ % 2 == 0 else tuple(reversed(CONFIGS))
                for config in order:
                    set_triggers(config)
                    result = run(pairs, writers, args.seconds)
                    samples[config][writers].append(result)
                    print(
                        f"round {round_ + 1} writers {writers:>3} {config:<12} "
                        f"{result.get('commits_per_second', 0):>8} commits/s "
                        f"p99 {result.get('p99_ms')} ms",
                        flush=True,
                    )
    finally:
        set_triggers("deployed")
    summary: dict[str, dict[str, dict]] = {}
    for config in CONFIGS:
        summary[config] = {}
        for writers, runs in samples[config].items():
            summary[config][str(writers)] = {
                "commits_per_second": round(
                    statistics.median(r.get("commits_per_second", 0) for r in runs), 1
                ),
                "p50_ms": round(statistics.median(r.get("p50_ms", 0) for r in runs), 2),
                "p99_ms": round(statistics.median(r.get("p99_ms", 0) for r in runs), 2),
                "runs": runs,
            }
    ratios = {
        str(w): {
            "deployed_vs_no_triggers": round(
                summary["deployed"][str(w)]["commits_per_second"]
                / max(summary["no_triggers"][str(w)]["commits_per_second"], 1e-9),
                3,
            ),
            "deployed_vs_no_counter": round(
                summary["deployed"][str(w)]["commits_per_second"]
                / max(summary["no_counter"][str(w)]["commits_per_second"], 1e-9),
                3,
            ),
            "deployed_vs_one_counter_row": round(
                summary["deployed"][str(w)]["commits_per_second"]
                / max(summary["one_counter_row"][str(w)]["commits_per_second"], 1e-9),
                3,
            ),
        }
        for w in args.writers
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    result = {
        "benchmark": "figures_writers",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": (
            "meetings.services.file_log from W threads (own meeting and connection each) on "
            "PostgreSQL, for --seconds per run, with the figures triggers as deployed, with the "
            "data-version counter in one row, without the counter, and without any figures "
            "trigger; configurations "
            "interleaved, median of the rounds"
        ),
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "postgresql": server,
        "configs": summary,
        "throughput_ratios": ratios,
        "machine_loadavg_before": load_before,
        "machine": {**machine(), "loadavg": loadavg(), "shared": True},
        "note": (
            "The client threads, Django and the PostgreSQL server share the same 2 cores; the "
            "ratios between configurations are the figure, not the absolute rates."
        ),
        "git": git_head(),
    }
    out = ROOT / "bench" / "results" / "figures_writers.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"throughput_ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
