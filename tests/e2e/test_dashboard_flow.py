"""An organizer opens the figures in the browser and downloads the results report as PDF."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from bizweek.dashboard import nudges
from tests import factories
from tests.dashboard.conftest import build_week
from tests.e2e.conftest import screenshot
from tests.e2e.test_hall_flow import login


@pytest.fixture
def known_week(taxonomy):
    return build_week()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_organizer_reads_figures_and_downloads_korean_report(new_page, known_week):
    organizer = factories.make_organizer(email="figures@example.test", language="ko")
    page = new_page(locale="ko-KR")
    login(page, organizer.email)
    page.click("text=실적 통계")
    page.wait_for_url("**/organizer/figures/")
    held = page.locator('[data-key="consultations_held"] dd')
    assert held.inner_text() == "2"
    assert page.locator('[data-key="consultation_confirmed"] dd').inner_text() == "100,000.00"
    assert page.locator("#consultations_by_country svg.chart rect").count() == 2
    screenshot(page, "dashboard-figures-ko")

    with page.expect_download() as download_info:
        page.click('a.pdf-link[data-lang="ko"]')
    pdf = download_info.value
    assert pdf.suggested_filename.startswith("bizweek-report-ko-")
    reader = PdfReader(io.BytesIO(pdf.path().read_bytes()))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "결과 보고서" in text
    assert "100,000.00" in text and "9,800.00" in text


def test_organizer_filters_figures_by_day_and_switches_reminders(new_page, known_week):
    organizer = factories.make_organizer(email="figures2@example.test")
    page = new_page()
    login(page, organizer.email)
    page.goto("/organizer/figures/")
    page.fill("#id_since", "2026-11-04")
    page.fill("#id_until", "2026-11-04")
    page.click("form.period-form button[type=submit]")
    page.wait_for_url("**since=2026-11-04**")
    assert page.locator('[data-key="meetings_scheduled"] dd').inner_text() == "2"
    assert page.locator('[data-key="consultation_confirmed"] dd').inner_text() == "0.00"

    switch = page.locator("form.nudge-switch")
    assert "are on" in switch.inner_text()
    switch.locator("button").click()
    expect(switch).to_contain_text("Reminders are off.")
    assert not nudges.enabled(known_week.event)
    switch.locator("button").click()
    expect(switch).to_contain_text("are on")
    assert nudges.enabled(known_week.event)
