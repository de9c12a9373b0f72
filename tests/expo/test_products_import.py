import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from bizweek.expo.importing import PRODUCT_COLUMNS, import_products
from bizweek.expo.models import Product
from bizweek.expo.search import ranked_ids
from tests.factories import make_company, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def sellers():
    return (
        make_company(external_id="KR-001", name_ko="창원굴착기", name_en="Changwon Excavator"),
        make_company(external_id="KR-002", name_ko="서울화장품", name_en="Seoul Cosmetics"),
    )


GOOD_ROWS = [
    {
        "company_external_id": "KR-001",
        "external_id": "EX-1",
        "name_ko": "미니 굴착기",
        "name_en": "Mini excavator",
        "hs_code": "842952",
        "description_en": "A 1.7 t excavator for narrow sites.",
        "moq": "1",
        "price_min": "25,000",
        "price_max": "31,500.50",
        "currency": "usd",
    },
    {
        "company_external_id": "KR-002",
        "external_id": "COS-7",
        "name_zh_hans": "滋润面霜",
        "name_en": "Moisturising cream",
        "hs_code": "3304",
        "moq": "1,000",
        "price_min": "3.5",
        "currency": "KRW",
    },
    {
        "company_external_id": "KR-002",
        "external_id": "TEA-1",
        "name_ko": "녹차",
        "hs_code": "",
    },
]


def csv_file(rows, columns=PRODUCT_COLUMNS):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def xlsx_file(rows, columns=PRODUCT_COLUMNS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def errors_of(report):
    return [(e.row, e.column, str(e.message)) for e in report.errors]


def test_import_good_csv_creates_products(sellers):
    excavators, cosmetics = sellers
    report = import_products(csv_file(GOOD_ROWS))
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    excavator = Product.objects.get(company=excavators, external_id="EX-1")
    assert excavator.name_ko == "미니 굴착기"
    assert excavator.name_en == "Mini excavator"
    assert excavator.hs_code_id == "842952"
    assert excavator.moq == 1
    assert (excavator.price_min, excavator.price_max) == (Decimal("25000"), Decimal("31500.50"))
    assert excavator.currency == "USD"
    cream = Product.objects.get(company=cosmetics, external_id="COS-7")
    assert cream.name_zh_hant == "滋潤面霜"  # derived from Simplified by OpenCC
    assert "name_zh_hant" in cream.chinese_derived
    assert (cream.moq, cream.price_min, cream.price_max) == (1000, Decimal("3.50"), None)
    assert cream.currency == "KRW"
    tea = Product.objects.get(company=cosmetics, external_id="TEA-1")
    assert tea.hs_code is None
    assert tea.currency == "USD"  # the model's default when the file gives no price
    assert [p.external_id for p in cosmetics.products.order_by("position")] == ["COS-7", "TEA-1"]


def test_import_xlsx_with_numeric_cells(sellers):
    rows = [
        dict(GOOD_ROWS[0], hs_code=902, moq=50, price_min=12.5, price_max=20),
        dict(GOOD_ROWS[1], hs_code=3304.0, moq=None, price_min=None),
    ]
    report = import_products(xlsx_file(rows))
    assert report.ok, report.errors
    assert report.created == 2
    excavator = Product.objects.get(external_id="EX-1")
    assert excavator.hs_code_id == "0902"  # the leading zero Excel dropped is restored
    assert (excavator.moq, excavator.price_min, excavator.price_max) == (
        50,
        Decimal("12.50"),
        Decimal("20"),
    )
    cream = Product.objects.get(external_id="COS-7")
    assert cream.hs_code_id == "3304"
    assert cream.name_zh_hant == "滋潤面霜"


def test_import_optional_traditional_columns_are_kept_as_written(sellers):
    columns = [*PRODUCT_COLUMNS, "name_zh_hant", "description_zh_hant"]
    row = dict(GOOD_ROWS[1], name_zh_hant="保濕乳霜", description_zh_hant="適合乾性肌膚")
    report = import_products(csv_file([row], columns))
    assert report.ok, report.errors
    cream = Product.objects.get()
    assert cream.name_zh_hant == "保濕乳霜"
    assert cream.description_zh_hans == "适合干性肌肤"  # derived the other way
    assert "name_zh_hant" not in cream.chinese_derived


def test_import_again_updates_instead_of_duplicating(sellers):
    excavators, _cosmetics = sellers
    make_product(excavators, name_ko="기존 제품", position=4)
    import_products(csv_file(GOOD_ROWS))
    first = Product.objects.get(external_id="EX-1")
    assert first.position == 5  # after the company's existing products
    changed = [dict(GOOD_ROWS[0], name_en="Mini excavator 2", price_max="40000"), *GOOD_ROWS[1:]]
    report = import_products(csv_file(changed))
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 3)
    assert Product.objects.count() == 4
    again = Product.objects.get(external_id="EX-1")
    assert again.pk == first.pk and again.position == 5
    assert again.name_en == "Mini excavator 2"
    assert again.price_max == Decimal("40000")


def test_same_product_id_in_two_companies_is_two_products(sellers):
    rows = [GOOD_ROWS[0], dict(GOOD_ROWS[1], external_id="EX-1")]
    report = import_products(csv_file(rows))
    assert report.ok, report.errors
    assert Product.objects.filter(external_id="EX-1").count() == 2


def test_import_one_bad_row_writes_nothing_and_names_row_column_reason(sellers):
    bad = dict(GOOD_ROWS[1], external_id="COS-8", hs_code="9999", currency="ABC")
    report = import_products(csv_file([GOOD_ROWS[0], bad, GOOD_ROWS[2]]))
    assert not report.ok
    assert Product.objects.count() == 0
    assert set(errors_of(report)) == {
        (3, "hs_code", "Unknown HS code “9999”."),
        (
            3,
            "currency",
            "Unknown currency “ABC”: use one of USD, KRW, CNY, EUR, JPY, THB, MYR, SGD, HKD, "
            "TWD, VND.",
        ),
    }
    assert report.summary() == "2 problem(s) in 3 row(s): nothing was written."


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        (
            {"company_external_id": ""},
            "company_external_id",
            "The company's external ID is missing.",
        ),
        (
            {"company_external_id": "XX-9"},
            "company_external_id",
            "No company with external ID “XX-9”.",
        ),
        ({"external_id": ""}, "external_id", "The external ID is missing."),
        ({"name_ko": "", "name_en": ""}, "name_*", "The product has no name in any language."),
        ({"name_en": "x" * 201}, "name_en", "Too long: at most 200 characters."),
        ({"external_id": "E" * 65}, "external_id", "Too long: at most 64 characters."),
        ({"hs_code": "9999"}, "hs_code", "Unknown HS code “9999”."),
        ({"moq": "-1"}, "moq", "“-1” is not a minimum order quantity"),
        ({"moq": "2.5"}, "moq", "“2.5” is not a minimum order quantity"),
        ({"moq": "many"}, "moq", "“many” is not a minimum order quantity"),
        ({"price_min": "cheap"}, "price_min", "“cheap” is not a price"),
        ({"price_min": "-5"}, "price_min", "“-5” is not a price"),
        ({"price_max": "1,5"}, "price_max", "“1,5” is not a price"),
        ({"price_max": "31500.505"}, "price_max", "“31500.505” has more than 2 decimals."),
        ({"price_max": "1" * 13}, "price_max", "is too large for a price."),
        (
            {"price_min": "40,000"},
            "price_min",
            "The lowest price (40,000) is above the highest price (31,500.50).",
        ),
        ({"currency": ""}, "currency", "A price needs a currency: use one of USD, KRW, "),
        ({"currency": "ABC"}, "currency", "Unknown currency “ABC”: use one of USD, KRW, "),
    ],
)
def test_import_reports_each_kind_of_bad_value(sellers, change, column, message):
    report = import_products(csv_file([dict(GOOD_ROWS[0], **change)]))
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert message in str(report.errors[0].message)
    assert Product.objects.count() == 0


def test_import_accepts_prices_with_trailing_zeros_and_a_currency_without_price(sellers):
    row = dict(GOOD_ROWS[0], price_min="10.500", price_max="", currency="eur")
    report = import_products(csv_file([row, dict(GOOD_ROWS[2], currency="THB")]))
    assert report.ok, report.errors
    assert Product.objects.get(external_id="EX-1").price_min == Decimal("10.50")
    assert Product.objects.get(external_id="TEA-1").currency == "THB"


def test_import_refuses_products_for_a_buyer(sellers):
    make_company(role="buyer", external_id="TH-001", name_zh_hans="曼谷华丰贸易", country="TH")
    report = import_products(
        csv_file([GOOD_ROWS[0], dict(GOOD_ROWS[1], company_external_id="TH-001")])
    )
    assert errors_of(report) == [
        (3, "company_external_id", "Company “TH-001” is a buyer; only sellers have products.")
    ]
    assert Product.objects.count() == 0


def test_import_duplicate_product_in_file_is_reported_on_second_row(sellers):
    report = import_products(csv_file([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]]))
    assert [(e.row, e.column) for e in report.errors] == [(4, "external_id")]
    assert "already used in row 2" in str(report.errors[0].message)
    assert Product.objects.count() == 0


def test_import_missing_and_unknown_columns_are_refused_on_row_one(sellers):
    columns = [c for c in PRODUCT_COLUMNS if c not in ("hs_code", "company_external_id")]
    report = import_products(csv_file(GOOD_ROWS, [*columns, "colour"]))
    assert {(e.row, e.column) for e in report.errors} == {
        (1, "hs_code"),
        (1, "company_external_id"),
        (1, "colour"),
    }
    assert "Unknown column “colour”." in {str(e.message) for e in report.errors}


def test_import_needs_a_name_column(sellers):
    columns = [c for c in PRODUCT_COLUMNS if not c.startswith("name_")]
    report = import_products(csv_file(GOOD_ROWS, columns))
    assert [(e.row, e.column) for e in report.errors] == [(1, "name_*")]


def test_import_dry_run_counts_but_writes_nothing(sellers):
    excavators, _cosmetics = sellers
    make_product(excavators, external_id="EX-1", name_ko="옛 이름")
    report = import_products(csv_file(GOOD_ROWS), dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.updated) == (2, 1)
    assert Product.objects.count() == 1
    assert Product.objects.get().name_ko == "옛 이름"


def test_import_makes_products_searchable(sellers):
    excavators, cosmetics = sellers
    assert ranked_ids("moisturising") == []
    report = import_products(csv_file(GOOD_ROWS))
    assert report.ok, report.errors
    # Words found only in the products' names, not in the companies' own.
    assert [pk for pk, _score in ranked_ids("moisturising")] == [cosmetics.pk]
    assert [pk for pk, _score in ranked_ids("mini")] == [excavators.pk]
    assert [pk for pk, _score in ranked_ids("녹차")] == [cosmetics.pk]
    assert [pk for pk, _score in ranked_ids("滋潤")] == [cosmetics.pk]


def test_import_progress_is_reported(sellers):
    calls = []
    import_products(csv_file(GOOD_ROWS), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (3, 3)


def test_import_command_dry_run_and_failure_exit_code(sellers, tmp_path, capsys):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_file(GOOD_ROWS).getvalue())
    call_command("import", "products", str(path), "--dry-run")
    assert "3 would be created" in capsys.readouterr().out
    assert Product.objects.count() == 0
    call_command("import", "products", str(path))
    assert "3 created, 0 updated" in capsys.readouterr().out
    assert Product.objects.count() == 3

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([dict(GOOD_ROWS[0], external_id="EX-9", moq="lots")]).getvalue())
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "products", str(bad))
    assert exit_info.value.code == 1
    assert "row 2 [moq]" in capsys.readouterr().out
    assert Product.objects.count() == 3


def test_products_import_failing_in_a_later_chunk_leaves_products_as_before(sellers):
    """Large product files are written in chunks; a failure midway undoes the earlier ones."""
    from bizweek.expo.importing import ProductImporter

    class FailsInSecondChunk(ProductImporter):
        CHUNK_ROWS = 2

        def write(self, rows, report, progress):
            self.chunks = getattr(self, "chunks", 0) + 1
            if self.chunks == 2:
                raise RuntimeError("the disk is full")
            return super().write(rows, report, progress)

    import_products(csv_file([GOOD_ROWS[0]]))
    changed = [dict(GOOD_ROWS[0], name_en="Renamed"), GOOD_ROWS[1], GOOD_ROWS[2]]
    with pytest.raises(RuntimeError):
        FailsInSecondChunk().run(csv_file(changed))
    assert list(Product.objects.values_list("external_id", "name_en")) == [
        ("EX-1", "Mini excavator")
    ]
