"""Reading CSV and XLSX files into rows of text, and the report an import returns.

Importers (companies, products) validate every row first and write only if all rows pass,
so a file is applied whole or not at all.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, no header)."""


@dataclass
class RowError:
    row: int  # the row number a person sees in their spreadsheet program (header is row 1)
    column: str
    message: str | Promise

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)  # accepted, but changed on the way in

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def error(self, row: int, column: str, message: str | Promise) -> None:
        self.errors.append(RowError(row, column, message))

    def note(self, row: int, column: str, message: str | Promise) -> None:
        self.notes.append(RowError(row, column, message))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "errors": [error.as_dict() for error in self.errors],
            "notes": [note.as_dict() for note in self.notes],
        }

    def summary(self) -> str:
        if not self.ok:
            return _("%(errors)d problem(s) in %(rows)d row(s): nothing was written.") % {
                "errors": len(self.errors),
                "rows": self.rows,
            }
        if self.dry_run:
            return _(
                "All %(rows)d row(s) are valid: %(created)d would be created, "
                "%(updated)d updated. Nothing was written (check only)."
            ) % {"rows": self.rows, "created": self.created, "updated": self.updated}
        return _("Imported %(rows)d row(s): %(created)d created, %(updated)d updated.") % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
        }


UNREADABLE = gettext_lazy(
    "This file could not be read as a spreadsheet. Upload a CSV (UTF-8) or XLSX file."
)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Bounds that keep a hostile file from costing more than seconds and a few MB (issue 14):
# an XLSX is a ZIP whose XML may claim any size, nest entities, or pad rows to a claimed
# "dimension"; a CSV may hold one enormous cell.
MAX_ROWS = 50_000  # data rows per file: well above any event's companies or products
MAX_COLUMNS = 64  # the widest template has 18 columns; cells to the right are ignored
MAX_CELL_CHARS = 20_000  # longer than any field accepts
MAX_XLSX_UNCOMPRESSED = 128 * 2**20  # all parts of the archive together, inflated
MAX_XLSX_PARTS = 2_000

TOO_MANY_ROWS = gettext_lazy(
    "The file has more than %(rows)d rows. Split it into several files and import them one "
    "after another."
)
HOSTILE_XLSX = gettext_lazy(
    "This XLSX file contains XML features that are not allowed (a document type definition, "
    "entities) or inflates to an unreasonable size. Save it again from your spreadsheet program."
)
HUGE_CELL = gettext_lazy(
    "A cell of this CSV file is too long, or a quotation mark is not closed. Check the file "
    "in your spreadsheet program."
)


def _xml_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore").replace("\x00", "")


def _check_archive(data: bytes) -> None:
    """Refuse an XLSX before parsing it: inflated size, part count, any DTD (a DTD is what
    entity expansion attacks need, and no spreadsheet program writes one)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise SpreadsheetError(str(UNREADABLE)) from error
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_XLSX_PARTS or sum(p.file_size for p in parts) > MAX_XLSX_UNCOMPRESSED:
            raise SpreadsheetError(str(HOSTILE_XLSX))
        for part in parts:
            if not part.filename.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(part) as stream:
                    head = _xml_head(stream.read(8192)).upper()
            except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError) as error:
                raise SpreadsheetError(str(UNREADABLE)) from error
            if "<!DOCTYPE" in head or "<!ENTITY" in head:
                raise SpreadsheetError(str(HOSTILE_XLSX))


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a hostile or broken file: any parser error means "unreadable"
        raise SpreadsheetError(str(UNREADABLE)) from error
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension> claim is ignored: rows are as wide as their cells (at
        # most MAX_COLUMNS) and reading stops past MAX_ROWS, whatever the file says.
        sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            if len(rows) > MAX_ROWS:
                raise SpreadsheetError(str(TOO_MANY_ROWS % {"rows": MAX_ROWS}))
            rows.append([_cell_text(value)[:MAX_CELL_CHARS] for value in row])
        return rows
    except SpreadsheetError:
        raise
    except Exception as error:  # entities, malformed XML, bad cell types
        raise SpreadsheetError(str(UNREADABLE)) from error
    finally:
        workbook.close()


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(
        _(
            "The CSV file is not in UTF-8. In Excel choose “CSV UTF-8” when saving, "
            "or upload the XLSX file itself."
        )
    )


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:  # the csv module refuses cells over csv.field_size_limit() (128 K characters)
        for row in csv.reader(io.StringIO(text), dialect):
            if len(rows) > MAX_ROWS:
                raise SpreadsheetError(str(TOO_MANY_ROWS % {"rows": MAX_ROWS}))
            rows.append([cell.strip() for cell in row[:MAX_COLUMNS]])
    except csv.Error as error:
        raise SpreadsheetError(str(HUGE_CELL)) from error
    return rows


@dataclass
class Table:
    header: list[str]
    rows: list[dict[str, str]]  # rows[0] is the file's row 2


def read_table(source: str | Path | IO[bytes]) -> Table:
    """Read the first sheet of an XLSX or a CSV file into dicts keyed by the header row.

    The type is decided by the content (an XLSX file is a ZIP archive), not by the name.
    Blank rows are kept as empty dicts so row numbers stay those of the file.
    """
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    if data.startswith(b"PK\x03\x04"):
        rows = _read_xlsx(data)
    elif b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(str(UNREADABLE))
    else:
        rows = _read_csv(data)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise SpreadsheetError(_("The file is empty: the first row must name the columns."))
    header = [name.strip().lower() for name in rows[0]]
    table = []
    for row in rows[1:]:
        if not any(row):
            table.append({})
            continue
        table.append(
            {name: (row[i] if i < len(row) else "") for i, name in enumerate(header) if name}
        )
    return Table(header, table)


Progress = Callable[[int, int], None]
Stage = Callable[[str, int], None]


class RowImporter(ABC):
    """Validate every row of a file, then write them all in one transaction, or none.

    Subclasses say what a row means: `check_header`, `clean_row` (values, or {} after
    reporting problems), `row_key` (what must be unique in the file), `duplicate_message`,
    `count_existing` (for a dry run) and `write`.
    """

    kind = ""

    def prepare(self, table: Table) -> None:  # noqa: B027  (an optional hook, not abstract)
        """Load what validation needs, once per file."""

    @abstractmethod
    def check_header(self, header: list[str], report: ImportReport) -> bool:
        """Defined by each kind of import."""

    @abstractmethod
    def clean_row(self, number: int, row: dict[str, str], report: ImportReport) -> dict[str, Any]:
        """Defined by each kind of import."""

    @abstractmethod
    def row_key(self, row: dict[str, str]) -> Hashable | None:
        """Defined by each kind of import."""

    @abstractmethod
    def duplicate_message(self, key: Hashable, first_row: int) -> str:
        """Defined by each kind of import."""

    @abstractmethod
    def count_existing(self, rows: list[dict[str, Any]]) -> int:
        """Defined by each kind of import."""

    @abstractmethod
    def write(self, rows: list[dict[str, Any]], report: ImportReport, progress: Progress) -> None:
        """Defined by each kind of import."""

    def run(
        self,
        source: str | Path | IO[bytes],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        stage: Stage | None = None,
    ) -> ImportReport:
        """`stage` is told ("checking", rows) once the file is read and ("writing", rows) before
        the first write: a background job shows which of the two its progress counts."""
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        progress = progress or (lambda done, total: None)
        stage = stage or (lambda name, total: None)
        try:
            table = read_table(source)
        except SpreadsheetError as error:
            report.error(1, "", str(error))
            return report
        stage("checking", len(table.rows))
        self.prepare(table)
        if not self.check_header(table.header, report):
            return report
        seen: dict[Hashable, int] = {}
        clean_rows = []
        for offset, row in enumerate(table.rows):
            number = offset + 2
            if not row:
                continue
            report.rows += 1
            values = self.clean_row(number, row, report)
            key = self.row_key(row)
            if key is not None and key in seen:
                report.error(number, "external_id", self.duplicate_message(key, seen[key]))
                values = {}
            elif key is not None:
                seen[key] = number
            if values:
                clean_rows.append(values)
            if report.rows % 1000 == 0:
                progress(report.rows, len(table.rows))
        if not report.ok:
            return report
        if dry_run:
            report.updated = self.count_existing(clean_rows)
            report.created = len(clean_rows) - report.updated
            return report
        stage("writing", len(clean_rows))
        self.apply(clean_rows, report, progress)
        return report

    # Rows per write transaction: SQLite has one writer at a time, so a whole 20,000-row file
    # in one transaction held the lock for ~25 s and other users' writes failed (issue 14).
    CHUNK_ROWS = 500
    # Between chunks on SQLite: a waiting writer's busy handler polls at most every 100 ms, so
    # without a gap the import would take the lock back before anyone else got it (starvation).
    CHUNK_PAUSE = 0.15

    def apply(self, rows: list[dict[str, Any]], report: ImportReport, progress: Progress) -> None:
        """Write valid rows in short transactions; undo the earlier ones if a later one fails.

        Small files keep the single transaction. For the user the import stays all-or-nothing:
        `compensate` deletes what earlier chunks created and restores what they updated.
        """
        if len(rows) <= self.CHUNK_ROWS:
            with transaction.atomic():
                self.write(rows, report, progress)
            self.finish()
            return
        created = updated = 0
        try:
            for start in range(0, len(rows), self.CHUNK_ROWS):
                chunk = rows[start : start + self.CHUNK_ROWS]
                with transaction.atomic():
                    self.write(chunk, report, lambda done, total: None)
                created, updated = created + report.created, updated + report.updated
                progress(start + len(chunk), len(rows))
                if connection.vendor == "sqlite" and start + len(chunk) < len(rows):
                    time.sleep(self.CHUNK_PAUSE)
        except Exception:
            with transaction.atomic():
                self.compensate()
            raise
        report.created, report.updated = created, updated
        self.finish()

    def compensate(self) -> None:  # noqa: B027  (needed only by importers that write in chunks)
        """Undo the chunks written so far (records kept by `write`)."""

    def finish(self) -> None:  # noqa: B027
        """Side effects once every row is written (invitations)."""
