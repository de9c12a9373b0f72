"""Tables out as XLSX (openpyxl) and CSV, with formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .figures import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula gets a leading apostrophe; numbers,
    dates and other texts pass unchanged."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # shown in the zone it was converted to
    if value is None:
        return ""
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "Sheet"
    name, n = clean, 2
    while name.lower() in used:
        name = f"{clean[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def write_xlsx(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """One workbook; each sheet is (title, header, rows). Write-only mode keeps memory flat for
    the 50,000-row meetings list."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(str(title), used))
        bold = []
        for column in header:
            cell = WriteOnlyCell(sheet, value=str(column))
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in rows:
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tables_xlsx(tables: Iterable[Table]) -> bytes:
    return write_xlsx((t.title, t.columns, t.rows) for t in tables)


def _csv_text(value: Any) -> str:
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | Decimal):
        return str(value)
    return str(value)


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Korean and Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(c) for c in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_csv(table: Table) -> bytes:
    return write_csv(table.columns, table.rows)


class _Line:
    """A file-like object whose write returns the text, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The same CSV as write_csv, produced row by row for a long list."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([_csv_text(c) for c in header])).encode("utf-8")
    for row in rows:
        yield writer.writerow([_csv_text(v) for v in row]).encode("utf-8")
