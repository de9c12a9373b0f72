"""The same numbers in the page, the API, the XLSX, the CSV and the PDF; who may see them."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bizweek.events.services import CURRENT_EVENT_KEY
from tests import factories

# The known week's headline (tests/dashboard/conftest.py), as exact values.
HEADLINE = {
    "sellers_approved": 2,
    "buyers_approved": 2,
    "requests": 5,
    "acceptance_rate": Decimal("66.7"),
    "meetings_scheduled": 4,
    "consultations_held": 2,
    "no_show_rate": Decimal("33.3"),
    "consultation_confirmed": Decimal("100000.00"),
    "consultation_one_sided": Decimal("9800.00"),
    "expected_contract_one_sided": Decimal("50000.00"),
    "signed_contract_confirmed": Decimal("20000.00"),
    "mou_confirmed": 1,
    "mou_one_sided": 1,
    "booth_visits": 5,
}


def shown(value) -> str:
    """How the page and the PDF print a number: thousands separated."""
    return f"{value:,}"


@pytest.fixture
def signed_in(client, organizer, week):
    from django.core.cache import cache

    cache.delete(CURRENT_EVENT_KEY)
    client.force_login(organizer)
    return client


def test_figures_page_shows_known_numbers(signed_in):
    html = signed_in.get("/organizer/figures/").content.decode()
    for key, value in HEADLINE.items():
        pattern = rf'data-key="{key}"><dt>[^<]+</dt><dd[^>]*>{re.escape(shown(value))}</dd>'
        assert re.search(pattern, html), key
    assert "<svg" in html and 'class="chart-bar"' in html


def test_stats_api_matches_page(signed_in):
    data = signed_in.get("/api/v1/stats").json()
    assert data["scope"] == "event"
    for key, value in HEADLINE.items():
        assert str(data["headline"][key]) == str(value), key
    assert data["tables"]["interpreters"]["rows"] == [["ko-th", 1, 1, 1], ["ko-zh", 1, 0, 1]]
    by_country = {row[0]: row for row in data["tables"]["consultations_by_country"]["rows"]}
    assert by_country["Thailand"][:3] == ["Thailand", 1, "100000.00"]


def test_stats_api_refuses_reversed_period(signed_in):
    response = signed_in.get("/api/v1/stats?since=2026-11-05&until=2026-11-01")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_xlsx_export_has_every_table_with_page_numbers(signed_in):
    response = signed_in.get("/organizer/figures/all.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert "Matching funnel" in book.sheetnames
    funnel = {row[0]: row[1] for row in book["Matching funnel"].iter_rows(values_only=True)}
    assert funnel["Requests"] == 5 and funnel["Scheduled meetings"] == 4
    assert funnel["Held"] == HEADLINE["consultations_held"]
    sheet = next(name for name in book.sheetnames if name.startswith("Consultations by buyer"))
    by_country = {row[0]: row[1:] for row in book[sheet].iter_rows(values_only=True)}
    assert Decimal(str(by_country["Thailand"][1])) == HEADLINE["consultation_confirmed"]
    assert Decimal(str(by_country["China"][2])) == HEADLINE["consultation_one_sided"]
    by_role = {row[0]: row[1:] for row in book["Companies by role"].iter_rows(values_only=True)}
    assert by_role["Total"] == (6, 1, 4, 1)


def test_csv_export_of_one_table(signed_in):
    response = signed_in.get("/organizer/figures/tables/visits_by_day.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Day", "Unique visitors", "Page views"],
        ["2026-11-03", "3", "6"],
        ["2026-11-04", "2", "2"],
    ]


def test_meetings_export_neutralises_formulas_and_gives_both_zones(signed_in):
    response = signed_in.get("/organizer/figures/meetings.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 6  # header and five meetings
    first = rows[1]
    assert first[2] == "Changwon Precision" and first[4] == "2026-11-03 10:00"
    assert first[6] == "Bangkok Trading" and first[8] == "2026-11-03 08:00"
    assert first[12] == "Held"
    assert first[13:17] == ["100000.00", "50000.00", "20000.00", "yes"]
    assert first[17:21] == ["100500.00", "49000.00", "20000.00", "yes"]
    cancelled = rows[2]
    assert cancelled[2] == '\'=HYPERLINK("http://x")'
    book = load_workbook(io.BytesIO(signed_in.get("/organizer/figures/meetings.xlsx").content))
    names = [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(not str(n).startswith("=") for n in names)


@pytest.mark.parametrize("lang", ["ko", "zh-hans"])
def test_report_pdf_carries_the_same_numbers(signed_in, lang):
    page = signed_in.get(f"/organizer/figures/report/?lang={lang}").content.decode()
    response = signed_in.get(f"/organizer/figures/report.pdf?lang={lang}")
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    heading = "결과 보고서" if lang == "ko" else "成果报告"
    assert heading in page and heading in text
    for key, value in HEADLINE.items():
        pattern = (
            rf'data-key="{key}"><th scope="row">[^<]+</th><td class="num">'
            rf"{re.escape(shown(value))}</td>"
        )
        assert re.search(pattern, page), key
        assert shown(value) in text, key


@pytest.mark.parametrize(
    "url",
    [
        "/organizer/figures/",
        "/organizer/figures/all.xlsx",
        "/organizer/figures/meetings.csv",
        "/organizer/figures/report/",
        "/organizer/figures/report.pdf",
        "/organizer/audit/",
    ],
)
def test_organizer_pages_refuse_exhibitor(client, week, url):
    client.force_login(factories.make_member(week.s1))
    assert client.get(url).status_code == 403


def test_exhibitor_sees_own_figures_and_leads_only(client, week):
    client.force_login(factories.make_member(week.s1))
    html = client.get("/figures/").content.decode()
    assert "Bangkok Trading" in html
    assert "Late Co" not in html
    data = client.get("/api/v1/stats").json()
    assert data["scope"] == "company"
    assert data["headline"]["booth_visits"] == 3
    book = load_workbook(io.BytesIO(client.get("/figures/leads.xlsx").content))
    companies = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(companies) == ["Bangkok Trading", "上海贸易"]


def test_stats_api_refuses_visitor(client, week):
    client.force_login(factories.make_user())
    response = client.get("/api/v1/stats")
    assert response.status_code == 403


def test_report_pdf_leaves_image_checks_strict(signed_in):
    from PIL import ImageFile

    signed_in.get("/organizer/figures/report.pdf?lang=en")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # truncated uploads stay refused


def test_meetings_export_job_builds_file_for_its_organizer_only(transactional_db, client):
    from django.core.cache import cache

    from bizweek.core.tasks import run_pending_jobs
    from bizweek.dashboard.models import Export

    from .conftest import build_week

    week = build_week()
    cache.clear()
    organizer = factories.make_organizer(email="exports@example.test")
    client.force_login(organizer)
    response = client.post("/organizer/figures/meetings/", {"fmt": "csv", "since": "2026-11-04"})
    assert response.status_code == 302
    run_pending_jobs()
    export = Export.objects.get()
    assert export.status == "done" and export.rows == 3  # the meetings from 4 November on
    html = client.get("/organizer/figures/").content.decode()
    assert f"/organizer/figures/exports/{export.pk}/" in html
    download = client.get(f"/organizer/figures/exports/{export.pk}/")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "上海贸易" in text and "2026-11-04 10:00" in text  # 11:00 in Seoul, 10:00 Shanghai
    client.force_login(factories.make_organizer(email="other@example.test"))
    assert client.get(f"/organizer/figures/exports/{export.pk}/").status_code == 403
    client.force_login(factories.make_member(week.s1))
    assert client.post("/organizer/figures/meetings/", {"fmt": "csv"}).status_code == 403


def test_meetings_xlsx_plain_writer_matches_openpyxl_cells():
    """The fast meetings sheet reads back exactly as openpyxl's own write-only sheet."""
    from bizweek.dashboard import exports

    header = ["Meeting", "Name", "Amount", "Note"]
    rows = [
        [1, "a&<b>\"'", Decimal("100000.00"), " spaced "],
        [2, "=HYPERLINK(1)", Decimal("1.50"), None],
        [3, "한국 中文", 7, ""],
    ]
    fast = load_workbook(io.BytesIO(exports.write_plain_xlsx("Meetings", header, rows))).active
    slow = load_workbook(io.BytesIO(exports.write_xlsx([("Meetings", header, rows)]))).active
    assert list(fast.iter_rows(values_only=True)) == list(slow.iter_rows(values_only=True))
    assert fast["A1"].font.bold
    assert fast["B3"].value == "'=HYPERLINK(1)"


def test_meetings_export_job_xlsx_matches_the_direct_download(transactional_db, client):
    from django.core.cache import cache

    from bizweek.core.tasks import run_pending_jobs
    from bizweek.dashboard.models import Export

    from .conftest import build_week

    build_week()
    cache.clear()
    client.force_login(factories.make_organizer(email="xlsx@example.test"))
    assert client.post("/organizer/figures/meetings/", {"fmt": "xlsx"}).status_code == 302
    run_pending_jobs()
    export = Export.objects.get()
    assert export.status == "done"
    download = client.get(f"/organizer/figures/exports/{export.pk}/")
    job = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    direct = load_workbook(io.BytesIO(client.get("/organizer/figures/meetings.xlsx").content))
    rows = list(job.iter_rows(values_only=True))
    assert rows == list(direct.active.iter_rows(values_only=True))
    assert len(rows) == export.rows + 1 and job["A1"].font.bold
