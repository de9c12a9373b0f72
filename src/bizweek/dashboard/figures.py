"""The shapes every figure takes: a period, a table of numbers, a headline, the whole set.

The page, the API, the XLSX/CSV exports and the PDF report all read a `Figures`, so a number
is computed once and appears the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.functional import Promise


@dataclass(frozen=True)
class Period:
    """A date range in the event's time zone; either end may be open."""

    since: date | None = None
    until: date | None = None
    tz: str = "UTC"

    def start(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime.combine(self.since, time.min, tzinfo=ZoneInfo(self.tz))

    def end(self) -> datetime | None:
        """The first instant after the range (the next day's midnight)."""
        if self.until is None:
            return None
        return datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.tz))

    def instants(self, field_name: str) -> Q:
        """The range as a filter on a DateTimeField."""
        q = Q()
        if self.since is not None:
            q &= Q(**{f"{field_name}__gte": self.start()})
        if self.until is not None:
            q &= Q(**{f"{field_name}__lt": self.end()})
        return q

    def days(self, field_name: str) -> Q:
        """The range as a filter on a DateField."""
        q = Q()
        if self.since is not None:
            q &= Q(**{f"{field_name}__gte": self.since})
        if self.until is not None:
            q &= Q(**{f"{field_name}__lte": self.until})
        return q

    def as_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "timezone": self.tz,
        }


@dataclass
class Table:
    """One table of figures; `chart` names the column the page draws as bars."""

    key: str
    title: str | Promise
    columns: list[str | Promise]
    rows: list[list[Any]]
    chart: int | None = 1
    note: str | Promise = ""

    def as_dict(self) -> dict:
        return {
            "title": str(self.title),
            "columns": [str(c) for c in self.columns],
            "rows": [[plain(v) for v in row] for row in self.rows],
        }


@dataclass
class Headline:
    key: str
    label: str | Promise
    value: Any


@dataclass
class Figures:
    period: Period
    headline: list[Headline] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    scope: str = "event"  # "event" or "company"
    company_name: str = ""

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    def value(self, key: str) -> Any:
        for item in self.headline:
            if item.key == key:
                return item.value
        raise KeyError(key)

    def as_dict(self) -> dict:
        return {
            "scope": self.scope,
            "period": self.period.as_dict(),
            "headline": {h.key: plain(h.value) for h in self.headline},
            "tables": {t.key: t.as_dict() for t in self.tables},
        }


def settled(
    section: tuple[list[Headline], list[Table]],
) -> tuple[list[Headline], list[Table]]:
    """The section with every lazy translation evaluated in the active language: that is how
    the cache stores it (unpickling a lazy string costs a hundred times a plain one)."""
    headline, tables = section

    def text(value: Any) -> Any:
        return str(value) if isinstance(value, Promise) else value

    return (
        [Headline(h.key, text(h.label), text(h.value)) for h in headline],
        [
            Table(
                t.key,
                text(t.title),
                [text(c) for c in t.columns],
                [[text(v) for v in row] for row in t.rows],
                chart=t.chart,
                note=text(t.note),
            )
            for t in tables
        ],
    )


def plain(value: Any) -> Any:
    """JSON-ready value: amounts as exact decimal text, ratios rounded as shown on the page."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, the same in every output; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"))
