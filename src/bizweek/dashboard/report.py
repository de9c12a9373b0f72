"""The results report: one printable page and the same page as PDF (WeasyPrint).

WeasyPrint lays the HTML out with Pango, so Korean and Chinese come out with the system's Noto
CJK fonts (Debian `fonts-noto-cjk`); see docs/decisions.md for why this route.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone

from bizweek.events.models import Event

from .charts import bar_chart
from .figures import Figures

#: Font families per language: the CJK face of the reader's script first.
FONTS = {
    "ko": '"Noto Sans CJK KR", "Noto Sans KR", sans-serif',
    "zh-hans": '"Noto Sans CJK SC", "Noto Sans SC", sans-serif',
    "zh-hant": '"Noto Sans CJK TC", "Noto Sans TC", sans-serif',
    "en": '"Noto Sans", "DejaVu Sans", "Noto Sans CJK KR", sans-serif',
}

#: The tables the press needs, in the order the report shows them.
REPORT_TABLES = (
    "consultations_by_country",
    "consultations_by_sector",
    "consultations_by_day",
    "companies_by_role",
    "companies_by_country",
    "funnel",
    "visits_by_day",
)


def context(event: Event | None, figures: Figures) -> dict:
    keys = {t.key for t in figures.tables}
    tables = [figures.table(k) for k in REPORT_TABLES if k in keys]
    return {
        "event": event,
        "figures": figures,
        "report_tables": [(t, bar_chart(t)) for t in tables],
        "generated_at": timezone.localtime(),
    }


def _weasyprint_html():
    """WeasyPrint's HTML class, imported without its side effect: importing it sets Pillow's
    process-wide LOAD_TRUNCATED_IMAGES, which would let truncated uploads pass the booth's
    image checks (expo/uploads.py). The report has no raster images, so it needs no such
    leniency."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def render_pdf(event: Event | None, figures: Figures, lang: str) -> bytes:
    HTML = _weasyprint_html()

    # WeasyPrint reports every layout step at INFO on stderr: keep the server's log readable.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    html = render_to_string(
        "dashboard/report_document.html",
        {**context(event, figures), "lang": lang, "font": FONTS.get(lang, FONTS["en"])},
    )
    return HTML(string=html).write_pdf()
