"""Finding 6: hostile spreadsheets are refused with a clear message, in bounded memory."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from bizweek.companies.importing import import_companies
from bizweek.companies.models import Company
from bizweek.spreadsheets import MAX_ROWS, SpreadsheetError, read_table
from tests.importpage import import_on_page

pytestmark = pytest.mark.django_db


def _xlsx(edit=None) -> bytes:
    """A real workbook (header + one row), its parts rewritten by `edit(name, xml)`."""
    book = Workbook()
    book.active.append(["external_id", "role", "name_en", "country", "timezone"])
    book.active.append(["X1", "seller", "Hostile Co", "KR", "Asia/Seoul"])
    plain = io.BytesIO()
    book.save(plain)
    if edit is None:
        return plain.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith(".xml"):
                data = edit(item.filename, data.decode()).encode()
            z.writestr(item, data)
    return out.getvalue()


def _claim_dimension(name: str, xml: str) -> str:
    if name == "xl/worksheets/sheet1.xml":
        xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)
    return xml


def test_xlsx_claiming_a_million_rows_by_16384_columns_is_read_by_its_cells():
    data = _xlsx(_claim_dimension)
    table = read_table(io.BytesIO(data))
    assert len(table.rows) == 1
    assert table.rows[0]["name_en"] == "Hostile Co"


def test_xlsx_with_rows_far_beyond_the_limit_is_refused():
    def far_row(name: str, xml: str) -> str:
        if name == "xl/worksheets/sheet1.xml":
            xml = xml.replace(
                "</sheetData>",
                '<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row></sheetData>',
            )
        return _claim_dimension(name, xml)

    with pytest.raises(SpreadsheetError, match=f"more than {MAX_ROWS} rows"):
        read_table(io.BytesIO(_xlsx(far_row)))


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
    ],
)
def test_xlsx_with_a_dtd_is_refused_with_a_message(client, organizer, doctype):
    def add_dtd(name: str, xml: str) -> str:
        if name == "xl/worksheets/sheet1.xml":
            head, _sep, rest = xml.partition("?>")
            return f"{head}?>{doctype}{rest}"
        return xml

    client.force_login(organizer)
    upload = SimpleUploadedFile("bomb.xlsx", _xlsx(add_dtd), "application/octet-stream")
    assert "document type definition" in import_on_page(client, upload)
    assert not Company.objects.exists()


def test_xlsx_that_inflates_beyond_the_limit_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/padding.xml", b"<a>" + b" " * (200 * 2**20) + b"</a>")
    with pytest.raises(SpreadsheetError, match="unreasonable size"):
        read_table(io.BytesIO(out.getvalue()))


def test_csv_with_a_huge_cell_is_refused_with_a_message(client, organizer):
    data = b'external_id,role,name_en\nX1,seller,"' + b"A" * 300_000 + b'"\n'
    report = import_companies(io.BytesIO(data))
    assert not report.ok and "too long" in report.errors[0].message
    client.force_login(organizer)
    upload = SimpleUploadedFile("huge.csv", data, "text/csv")
    assert "too long" in import_on_page(client, upload)
