import csv
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl import Workbook

from bizweek.companies.importing import COMPANY_COLUMNS, import_companies
from bizweek.companies.models import Company

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    {
        "external_id": "KR-001",
        "role": "seller",
        "name_ko": "창원굴착기",
        "name_en": "Changwon Excavator",
        "country": "KR",
        "city": "Changwon",
        "timezone": "Asia/Seoul",
        "sectors": "machinery",
        "hs_codes": "8429;8431",
        "description_ko": "미니 굴착기를 만듭니다.",
        "contact_email": "sales@cw-excavator.example",
        "website": "cw-excavator.example",
    },
    {
        "external_id": "TH-001",
        "role": "buyer",
        "name_zh_hans": "曼谷华丰贸易有限公司",
        "country": "TH",
        "city": "Bangkok",
        "timezone": "Asia/Bangkok",
        "sectors": "cosmetics;food",
        "hs_codes": "3304",
        "description_zh_hans": "进口韩国化妆品。",
    },
]


def csv_file(rows, columns=COMPANY_COLUMNS):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def xlsx_file(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COMPANY_COLUMNS)
    for row in rows:
        sheet.append([row.get(column) for column in COMPANY_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_import_good_csv_creates_companies_with_taxonomy():
    report = import_companies(csv_file(GOOD_ROWS))
    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 0)
    seller = Company.objects.get(external_id="KR-001")
    assert seller.name_ko == "창원굴착기"
    assert seller.website == "https://cw-excavator.example"
    assert sorted(seller.hs_codes.values_list("code", flat=True)) == ["8429", "8431"]
    buyer = Company.objects.get(external_id="TH-001")
    assert buyer.name_zh_hant == "曼谷華豐貿易有限公司"  # derived from Simplified by OpenCC
    assert sorted(buyer.sectors.values_list("code", flat=True)) == ["cosmetics", "food"]


def test_import_xlsx_with_numeric_cells_keeps_leading_zero_of_hs_code():
    rows = [dict(GOOD_ROWS[1], hs_codes=902)]  # Excel turned "0902" (tea) into a number
    report = import_companies(xlsx_file(rows))
    assert report.ok, report.errors
    assert list(Company.objects.get().hs_codes.values_list("code", flat=True)) == ["0902"]


def test_import_again_updates_instead_of_duplicating():
    import_companies(csv_file(GOOD_ROWS))
    changed = [dict(GOOD_ROWS[0], city="Busan", hs_codes="8429"), GOOD_ROWS[1]]
    report = import_companies(csv_file(changed))
    assert (report.created, report.updated) == (0, 2)
    assert Company.objects.count() == 2
    seller = Company.objects.get(external_id="KR-001")
    assert seller.city == "Busan"
    assert list(seller.hs_codes.values_list("code", flat=True)) == ["8429"]


def test_import_one_bad_row_writes_nothing_and_names_row_column_reason():
    bad = dict(GOOD_ROWS[1], external_id="TH-002", country="XX", contact_email="not-an-email")
    report = import_companies(csv_file([GOOD_ROWS[0], bad]))
    assert not report.ok
    assert Company.objects.count() == 0
    found = {(e.row, e.column, str(e.message)) for e in report.errors}
    assert found == {
        (3, "country", "Unknown country “XX”: use an ISO 3166 code such as KR or TH."),
        (3, "contact_email", "“not-an-email” is not a valid e-mail address."),
    }


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"timezone": "Asia/Gotham"}, "timezone", "Unknown time zone “Asia/Gotham”"),
        ({"hs_codes": "9999"}, "hs_codes", "Unknown HS code “9999”"),
        ({"role": "reseller"}, "role", "Unknown role “reseller”"),
        ({"name_ko": "", "name_en": ""}, "name_*", "no name in any language"),
        ({"sectors": "spaceships"}, "sectors", "Unknown sector “spaceships”"),
    ],
)
def test_import_reports_each_kind_of_bad_value(change, column, message):
    report = import_companies(csv_file([dict(GOOD_ROWS[0], **change)]))
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert message in str(report.errors[0].message)
    assert Company.objects.count() == 0


def test_import_duplicate_external_id_in_file_is_reported_on_second_row():
    report = import_companies(csv_file([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]]))
    assert [(e.row, e.column) for e in report.errors] == [(4, "external_id")]
    assert "row 2" in str(report.errors[0].message)
    assert Company.objects.count() == 0


def test_import_messages_follow_the_users_language():
    with translation.override("ko"):
        report = import_companies(csv_file([dict(GOOD_ROWS[0], country="XX")]))
    assert report.errors[0].message != (
        "Unknown country “XX”: use an ISO 3166 code such as KR or TH."
    )
    assert "XX" in str(report.errors[0].message)


def test_import_missing_column_and_unknown_column_are_refused():
    columns = [c for c in COMPANY_COLUMNS if c != "timezone"] + ["fax"]
    report = import_companies(csv_file(GOOD_ROWS, columns))
    assert {(e.row, e.column) for e in report.errors} == {(1, "timezone"), (1, "fax")}


def test_import_dry_run_counts_but_writes_nothing():
    report = import_companies(csv_file(GOOD_ROWS), dry_run=True)
    assert report.ok and report.dry_run
    assert report.created == 2
    assert Company.objects.count() == 0


def test_import_non_utf8_csv_gets_a_clear_message():
    data = "external_id,role,name_ko\nK1,seller,창원\n".encode("cp949")
    report = import_companies(io.BytesIO(data))
    assert not report.ok
    assert "UTF-8" in str(report.errors[0].message)


def test_import_binary_garbage_is_not_read_as_a_spreadsheet():
    report = import_companies(io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR"))
    assert not report.ok
    assert "CSV" in str(report.errors[0].message)


def test_import_command_dry_run_and_failure_exit_code(tmp_path, capsys):
    path = tmp_path / "companies.csv"
    path.write_bytes(csv_file(GOOD_ROWS).getvalue())
    call_command("import", "companies", str(path), "--dry-run")
    assert "would be created" in capsys.readouterr().out
    assert Company.objects.count() == 0
    call_command("import", "companies", str(path))
    assert Company.objects.count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([dict(GOOD_ROWS[0], external_id="KR-009", role="x")]).getvalue())
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "companies", str(bad))
    assert exit_info.value.code == 1
    assert "row 2 [role]" in capsys.readouterr().out


REAL_CODE_ROWS = [
    dict(GOOD_ROWS[0], external_id="KR-101", hs_codes="8429.52; 8426 20"),
    dict(GOOD_ROWS[0], external_id="KR-102", hs_codes="0303, 030743"),
    dict(GOOD_ROWS[0], external_id="KR-103", hs_codes="8515310000; 9405.42.1000"),
    dict(GOOD_ROWS[0], external_id="KR-104", hs_codes="84571010"),
]


def test_import_real_hs_codes_dotted_spaced_and_national_are_taken_to_hs2022():
    report = import_companies(csv_file(REAL_CODE_ROWS))
    assert report.ok, report.as_dict()
    codes = {
        company.external_id: sorted(company.hs_codes.values_list("code", flat=True))
        for company in Company.objects.all()
    }
    assert codes == {
        "KR-101": ["842620", "842952"],
        "KR-102": ["0303", "030743"],
        "KR-103": ["851531", "940542"],
        "KR-104": ["845710"],
    }
    noted = {(note.row, note.message) for note in report.notes}
    assert (4, "“8515310000” was taken as HS 2022 851531.") in noted
    assert (5, "“84571010” was taken as HS 2022 845710.") in noted
    assert not any(note.row in (2, 3) for note in report.notes)


def test_import_code_in_no_hs2022_list_refuses_the_file_with_row_column_reason():
    rows = [*REAL_CODE_ROWS, dict(GOOD_ROWS[1], hs_codes="3304; 8429.99")]
    report = import_companies(csv_file(rows))
    assert [error.as_dict() for error in report.errors] == [
        {"row": 6, "column": "hs_codes", "message": "Unknown HS code “8429.99”."}
    ]
    assert not Company.objects.exists()
