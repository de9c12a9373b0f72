"""An organizer uploads a spreadsheet; the import runs in the background while the page shows
its progress, then the report, and the companies are in the hall (issue 14, finding 5)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bizweek.companies import jobs
from bizweek.companies.importing import CompanyImporter
from bizweek.companies.models import Company
from bizweek.core.tasks import run_pending_jobs
from tests import factories
from tests.companies.test_chunked_import import many_rows
from tests.companies.test_importing import csv_file
from tests.e2e.test_hall_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_organizer_uploads_a_spreadsheet_and_watches_it_import(new_page, tmp_path, monkeypatch):
    monkeypatch.setattr(CompanyImporter, "CHUNK_ROWS", 40)  # several chunks from a small file
    factories.make_event()
    organizer = factories.make_organizer(email="org@example.test", language="ko")
    rows = many_rows(120)
    rows[7]["name_ko"] = "창원수소밸브"
    path = tmp_path / "companies.csv"
    path.write_bytes(csv_file(rows).getvalue())

    page = new_page(locale="ko-KR")
    login(page, organizer.email)
    page.goto("/organizer/import/")
    page.set_input_files("#id_file", str(path))
    page.uncheck("#id_dry_run")  # checking only is the default
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/organizer/import/\d+/$"))
    # The request only queued the file: the page shows a progress bar waiting for the worker.
    assert page.locator("[data-import-state=queued]").is_visible()
    assert page.locator("#import-bar").get_attribute("value") == "0"
    assert not Company.objects.exists()
    # No worker runs in this test: once the job has waited too long the page says so (polled,
    # without a reload), in Korean, with the command to run.
    assert page.locator("#import-waiting").is_hidden()
    monkeypatch.setattr(jobs, "WAIT_NOTICE_AFTER", timedelta(0))
    notice = page.locator("#import-waiting")
    notice.wait_for(state="visible")
    assert "bizweek worker" in notice.inner_text() and "작업기" in notice.inner_text()

    run_pending_jobs()  # the worker (bizweek worker / the serve thread) picks the job up
    page.wait_for_selector("#import-report.ok")
    assert page.locator("[data-import-state=done]").is_visible()
    bar = page.locator("#import-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "120"
    assert "120" in page.locator("#import-report .summary").inner_text()
    assert "Imported" not in page.locator("#import-report .summary").inner_text()  # Korean
    assert Company.objects.count() == 120

    page.goto("/hall/?role=all&q=창원수소밸브")
    assert page.get_by_text("창원수소밸브").first.is_visible()
