"""The figures, computed once per data version and shared through Django's cache.

The figures are aggregates over every meeting and log: at 50,000 meetings computing them is
hundreds of milliseconds of SQL, yet they change only when the data under them changes. So
each section (companies; booth visits; meetings, requests and logs) is cached under a key made
of what it was computed for (event, period, company, language) and of the data version of the
tables it reads.

The version is kept by the database itself: triggers (migration 0003) raise a counter in a
`FiguresVersion` row on every insert, update or delete of those tables, by any code path and
any process (`update()`, `bulk_create`, `bizweek import`). Reading it is one query per page
(one row on SQLite; on PostgreSQL up to 16, one per group of connections, summed). A write
and its counter become visible in the same commit, so a view that reads the new counter also
reads the new rows: the first view after a change pays for the computation, the views after it
are fast, and no view can be served figures older than the data it could read. Figures
computed from newer rows than the counter they are stored under only make the next change
recompute them.

On PostgreSQL a counter row is locked from a transaction's first write to those tables until
its commit. With one row such transactions went one at a time; each connection now raises the
row its server process id picks (migration 0005), so only writers sharing a row wait for each
other (bench/figures_writers.py measures it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from functools import cache as memoize
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from .figures import Headline, Table, settled
from .models import FiguresVersion

Section = tuple[list[Headline], list[Table]]

# The counters each section's figures depend on (columns of FiguresVersion).
COMPANIES = ("companies",)
VISITS = ("visits",)
MEETINGS = ("companies", "meetings")  # company names and sectors appear in meeting tables

_NO_ROW = {"token": "none", "companies": 0, "visits": 0, "meetings": 0}


@memoize
def _code_digest() -> str:
    """A hash of the code that computes the figures: a deploy that changes how a figure is
    computed uses new keys (a shared Redis cache outlives the processes that filled it)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("services.py", "consultations.py", "figures.py", "cache.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:10]


def data_version() -> dict[str, Any]:
    """The counters as committed now (one query): summed over the rows (PostgreSQL spreads
    them over 16, migration 0005), with a token naming the set of rows, so counters that
    start again from nothing never meet old keys."""
    rows = list(FiguresVersion.objects.values("id", *_NO_ROW).order_by("id"))
    if not rows:
        return dict(_NO_ROW)
    if len(rows) == 1:
        return rows[0]
    names = ",".join(f"{row['id']}:{row['token']}" for row in rows)
    version = {"token": hashlib.sha256(names.encode()).hexdigest()[:32]}
    for name in ("companies", "visits", "meetings"):
        version[name] = sum(row[name] for row in rows)
    return version


def cached(
    section: str,
    depends: tuple[str, ...],
    parts: tuple[Any, ...],
    version: dict[str, Any],
    compute: Callable[[], Section],
) -> Section:
    """`compute()` once per section, parameters, language and data version; stored with
    its texts translated (the language is part of the key)."""
    key = ":".join(
        [
            "bizweek:figures",
            _code_digest(),
            section,
            get_language() or settings.LANGUAGE_CODE,
            version["token"],
            *(str(version[name]) for name in depends),
            hashlib.sha256(repr(parts).encode()).hexdigest()[:16],
        ]
    )
    packed = cache.get(key)
    if packed is not None:
        return _unpack(packed)
    value = settled(compute())
    cache.set(key, _pack(value), timeout=settings.BIZWEEK_FIGURES_CACHE_SECONDS)
    return value


def _decimal_columns(rows: list[list[Any]]) -> list[int]:
    """Columns holding only Decimals (or None): amounts, rates."""
    if not rows:
        return []
    width = len(rows[0])
    return [
        i
        for i in range(width)
        if any(isinstance(row[i], Decimal) for row in rows)
        and all(row[i] is None or isinstance(row[i], Decimal) for row in rows)
    ]


def _pack(section: Section) -> tuple:
    """The section with its amounts as text: pickling 28,000 Decimal objects (an exhibitor
    table at 50,000 meetings) cost five times as much as pickling their text, and
    `Decimal(text)` gives back the same value with the same places."""
    headline, tables = section
    packed_tables = []
    for table in tables:
        columns = _decimal_columns(table.rows)
        rows = table.rows
        if columns:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in columns:
                    if row[i] is not None:
                        row[i] = str(row[i])
        packed_tables.append((table, columns, rows))
    return headline, [
        (Table(t.key, t.title, t.columns, [], chart=t.chart, note=t.note), columns, rows)
        for t, columns, rows in packed_tables
    ]


def _unpack(packed: tuple) -> Section:
    headline, packed_tables = packed
    tables = []
    for table, columns, rows in packed_tables:
        for row in rows if columns else ():
            for i in columns:
                if row[i] is not None:
                    row[i] = Decimal(row[i])
        table.rows = rows
        tables.append(table)
    return headline, tables
