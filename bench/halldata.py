"""The demo database the hall benchmark measures: built once with `bizweek demo` and reused
only when this script built it from the same demo and search code and its search index is sound.
SQLite in the data directory, or PostgreSQL with --database-url.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from benchlib import ROOT
from hallcommon import BIZWEEK, BenchError, say, tree_fingerprint

# Files whose change makes a cached demo database stale (content or search index).
DEMO_INPUTS = [
    "src/bizweek/demo/builder.py",
    "src/bizweek/demo/catalog.py",
    "src/bizweek/demo/catalog_data.json",
    "src/bizweek/expo/search.py",
    "src/bizweek/chinese.py",
]


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
