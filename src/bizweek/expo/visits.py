"""Booth visits: counted per request, written to the database in batches.

Every booth view is a visit to count, and writing each as it happens was a third of a cached
booth page's cost and most of its latency tail under load: with SQLite every write takes the
database's single write lock, and a writer that finds it taken sleeps a millisecond or more
(docs/decisions.md, "Booth visits"). So a process collects its visits in memory and writes
them in one transaction every `BIZWEEK_VISIT_BATCH_SECONDS` (1 s by default): in a server,
from a flusher thread of its own (`start_flusher`) and at shutdown; elsewhere (tests, commands)
from the next visit that finds the batch due (0: each visit at once); and always before a
visitor-figures page is built. Figures therefore lag by about a second; a process killed
without warning loses at most that second of visits.

Visits of the same visitor, booth and day within a batch add up before they are written, and
the write adds them to the row already there, so counts are the same as writing one by one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import BoothVisit

logger = logging.getLogger(__name__)

# If the database stays unreachable, stop collecting at this many distinct visitor-days
# rather than grow without bound (then visits are dropped, with a warning in the log).
MAX_PENDING = 100_000


@dataclass
class _Pending:
    user_id: int | None
    country: str
    role: str
    first_seen_at: datetime
    views: int = 0


_lock = threading.Lock()  # guards _pending and _since
_flush_lock = threading.Lock()  # one flush at a time per process
_pending: dict[tuple[int, date, str], _Pending] = {}
_since: float | None = None  # monotonic time of the oldest visit not yet written
_flusher_running = threading.Event()


# Self-declared robots and scripted clients: not visitors.
ROBOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|"
    r"curl/|wget/|python-requests|python-urllib|httpx|aiohttp|go-http-client|java/|"
    r"libwww|okhttp|scrapy|headlesschrome/[0-9.]+ \(compatible",
    re.IGNORECASE,
)


def is_robot(request: HttpRequest) -> bool:
    return bool(ROBOT.search(request.headers.get("User-Agent", "").strip()))


def _visitor_key(request: HttpRequest) -> str:
    """A signed-in user is one visitor everywhere; an anonymous one is their session if they
    have one, else a keyed hash of their address and browser. A plain page view never
    creates a session: a session row per cookie-less request let anyone inflate the figures
    (and fill the session table)."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    session_key = getattr(request, "session", None) and request.session.session_key
    if session_key:
        digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
        return f"s:{digest}"
    client = "|".join(
        [
            request.META.get("REMOTE_ADDR", ""),
            request.headers.get("User-Agent", ""),
            request.headers.get("Accept-Language", ""),
        ]
    )
    digest = hmac.new(settings.SECRET_KEY.encode(), client.encode(), "sha256").hexdigest()[:40]
    return f"a:{digest}"


def visit_day(moment: datetime | None = None, request: HttpRequest | None = None) -> date:
    """The day a visit counts for: the event's calendar day, whatever the visitor's zone (a
    buyer in Bangkok and one in Seoul visiting at the same moment visit on the same day)."""
    from bizweek.events.services import current_event

    event = current_event(request)
    try:
        zone = zoneinfo.ZoneInfo(event.timezone if event else settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.localdate(moment or timezone.now(), zone)


def record_visit(company_id: int, request: HttpRequest) -> None:
    """Count a visit once per visitor and day; a company's own members and robots are not
    visitors."""
    global _since
    user = request.user
    if user.is_authenticated and user.company_id == company_id:
        return
    if not user.is_authenticated and is_robot(request):
        return
    country, role = "", "visitor"
    if user.is_authenticated:
        role = user.role
        country = user.company.country if user.company_id else ""
    now = timezone.now()
    key = (company_id, visit_day(now, request), _visitor_key(request))
    with _lock:
        entry = _pending.get(key)
        if entry is None:
            if len(_pending) >= MAX_PENDING:
                logger.warning("Booth visit dropped: %d visits wait for the database", MAX_PENDING)
                return
            entry = _pending[key] = _Pending(
                user.pk if user.is_authenticated else None, country, role, now
            )
        entry.views += 1
        if _since is None:
            _since = time.monotonic()
        due = time.monotonic() - _since >= settings.BIZWEEK_VISIT_BATCH_SECONDS
    if due and not _flusher_running.is_set():
        # Without a flusher thread (tests, management commands) the request writes the batch.
        # In a server it never does: the write, and the WAL checkpoint SQLite runs after a
        # commit now and then, stay out of every visitor's response time.
        flush(wait=settings.BIZWEEK_VISIT_BATCH_SECONDS <= 0)


def pending_count() -> int:
    """Distinct visitor-days not written yet (for tests and the benchmark)."""
    with _lock:
        return len(_pending)


def flush(*, wait: bool = True) -> int:
    """Write the visits collected so far; returns how many rows were written or updated.

    With `wait=False` it returns at once if another thread is flushing (a request never
    waits for another's write). Rows the database refuses (their booth was deleted in the
    meantime) are dropped one by one; if the database cannot be reached, the batch waits for
    the next flush.
    """
    global _since
    if not _flush_lock.acquire(blocking=wait):
        return 0
    try:
        with _lock:
            batch = dict(_pending)
            _pending.clear()
            _since = None
        if not batch:
            return 0
        try:
            with transaction.atomic():
                _write(list(batch.items()))
        except IntegrityError:
            written = 0
            for item in batch.items():
                try:
                    with transaction.atomic():
                        _write([item])
                    written += 1
                except IntegrityError:
                    logger.info("Booth visit dropped (booth or visitor gone): %s", item[0])
            return written
        except DatabaseError:
            logger.exception("Booth visits not written yet (%d); will retry", len(batch))
            _restore(batch)
            return 0
        return len(batch)
    finally:
        _flush_lock.release()


def discard_pending() -> None:
    """Forget visits not written yet (tests: their rows are rolled back between tests)."""
    global _since
    with _lock:
        _pending.clear()
        _since = None


def _restore(batch: dict[tuple[int, date, str], _Pending]) -> None:
    global _since
    with _lock:
        for key, entry in batch.items():
            current = _pending.get(key)
            if current is None:
                _pending[key] = entry
            else:
                current.views += entry.views
        _since = _since if _since is not None else time.monotonic()


def _write(items: list[tuple[tuple[int, date, str], _Pending]]) -> None:
    """One upsert per visitor-day: a new row, or its views added to the row already there
    (ON CONFLICT ... EXCLUDED, SQLite >= 3.24 and PostgreSQL)."""
    quote = connection.ops.quote_name
    table = quote(BoothVisit._meta.db_table)
    names = ("company_id", "day", "visitor_key", "user_id", "country", "role", "views")
    columns = ", ".join(quote(c) for c in (*names, "first_seen_at"))
    conflict = ", ".join(quote(c) for c in ("company_id", "day", "visitor_key"))
    views = quote("views")
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {views} = {table}.{views} + EXCLUDED.{views}"
    )
    field = BoothVisit._meta.get_field
    rows = [
        [
            company_id,
            field("day").get_db_prep_value(day, connection),
            visitor_key,
            entry.user_id,
            entry.country,
            entry.role,
            entry.views,
            field("first_seen_at").get_db_prep_value(entry.first_seen_at, connection),
        ]
        for (company_id, day, visitor_key), entry in items
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def start_flusher(interval: float | None = None) -> threading.Event:
    """Write pending visits every `interval` seconds from a thread of their own, so they
    reach the database when requests stop coming too. Returns the event that stops the thread
    (servers run it until they exit, and flush once more at shutdown: core/handler.py)."""
    interval = settings.BIZWEEK_VISIT_BATCH_SECONDS if interval is None else interval
    stop = threading.Event()

    def loop() -> None:
        _flusher_running.set()
        try:
            while not stop.wait(max(interval, 0.05)):
                try:
                    flush()
                except Exception:  # never let the flusher die: the next tick retries
                    logger.exception("Booth visit flusher failed")
                finally:
                    connection.close_if_unusable_or_obsolete()
            flush()
        finally:
            _flusher_running.clear()
            connection.close()

    threading.Thread(target=loop, name="visit-flusher", daemon=True).start()
    return stop
