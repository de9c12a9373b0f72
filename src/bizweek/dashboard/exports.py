"""Tables out as XLSX (openpyxl) and CSV, with formula injection neutralised."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


def _plain_cell(ref: str, value: Any) -> str:
    """One <c> element, as openpyxl's write-only mode writes it for a plain value."""
    if value is None or value == "":
        return f'<c r="{ref}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}" t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (as openpyxl)
    if not isinstance(value, str):
        raise TypeError(f"write_plain_xlsx takes texts and numbers, not {type(value).__name__}")
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:32767]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def write_plain_xlsx(title: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet of texts and numbers (no dates), for the 50,000-row meetings list.

    openpyxl writes the package and the bold header; the rows are spliced into the sheet's XML
    as plain strings, which costs a fraction of openpyxl's per-cell objects. The cells are the
    ones openpyxl would write for the same values (same types, same number text)."""
    book = write_xlsx([(title, header, [])])
    letters: list[str] = []
    parts: list[str] = []
    last = 1
    for index, row in enumerate(rows, start=2):
        values = [_cell(v) for v in row]
        while len(letters) < len(values):
            letters.append(get_column_letter(len(letters) + 1))
        cells = "".join(_plain_cell(f"{letters[i]}{index}", v) for i, v in enumerate(values))
        parts.append(f'<row r="{index}">{cells}</row>')
        last = index
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                columns = get_column_letter(max(len(header), len(letters), 1))
                xml = re.sub(
                    r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{columns}{last}"/>', xml
                )
                end = xml.index("</sheetData>")
                xml = xml[:end] + "".join(parts) + xml[end:]
                data = xml.encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


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
