"""Figures pages, exports and the results report. Thin: the numbers come from services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizweek.events.services import current_event

from . import exports, jobs, nudges, report, services
from .charts import bar_chart
from .figures import Figures
from .forms import PeriodForm, ReportForm
from .models import Export, ExportStatus

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _period(request: HttpRequest, form_class: type[PeriodForm] = PeriodForm) -> tuple:
    event = current_event(request)
    form = form_class(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period = services.period_for(event, data.get("since"), data.get("until"))
    return event, form, period


def _charted(figures: Figures) -> list[tuple]:
    return [(table, bar_chart(table)) for table in figures.tables]


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d")


def _download(body: bytes, name: str, fmt: str) -> HttpResponse:
    content_type = exports.XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _own_company(request: HttpRequest):
    company = request.user.company
    if company is None:
        raise PermissionDenied(_("These figures are for company accounts."))
    return company


# --- organizers -----------------------------------------------------------------------------


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    event, form, period = _period(request)
    figures = services.event_figures(event, period, by=request.user)
    return render(
        request,
        "dashboard/figures.html",
        {
            "form": form,
            "figures": figures,
            "tables": _charted(figures),
            "query": request.GET.urlencode(),
            "report_languages": settings.LANGUAGES,
            "nudges_on": nudges.enabled(event),
            "exports": jobs.recent_exports(request.user),
            "event": event,
        },
    )


@login_required
def figures_export(request: HttpRequest, fmt: str, key: str = "") -> HttpResponse:
    event, _form, period = _period(request)
    figures = services.event_figures(event, period, by=request.user)
    return _tables_download(figures, key, fmt, "bizweek-figures")


def _tables_download(figures: Figures, key: str, fmt: str, stem: str) -> HttpResponse:
    if key:
        try:
            table = figures.table(key)
        except KeyError:
            raise Http404(_("No such table.")) from None
        if fmt == "csv":
            return _download(exports.table_csv(table), f"{stem}-{key}-{_stamp()}", "csv")
        return _download(exports.tables_xlsx([table]), f"{stem}-{key}-{_stamp()}", "xlsx")
    if fmt != "xlsx":
        raise Http404(_("Every table at once comes as XLSX; pick one table for CSV."))
    return _download(exports.tables_xlsx(figures.tables), f"{stem}-{_stamp()}", "xlsx")


@login_required
@require_POST
def queue_meetings_export(request: HttpRequest) -> HttpResponse:
    """Queue the list of every meeting as a background job (it is long at scale)."""
    form = PeriodForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    jobs.request_meetings_export(
        request.user,
        fmt=request.POST.get("fmt", "xlsx"),
        since=data.get("since"),
        until=data.get("until"),
    )
    messages.success(
        request, _("The list of every meeting is being prepared; it appears here when ready.")
    )
    return redirect(reverse("dashboard:figures") + "#exports")


@login_required
def download_export(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(Export, pk=pk, status=ExportStatus.DONE)
    path = jobs.export_path(export, request.user)
    if not path.exists():
        raise Http404(_("This file is no longer there; please prepare it again."))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"bizweek-meetings-{timezone.localtime(export.created_at):%Y%m%d-%H%M}"
        f".{export.fmt}",
    )


@login_required
def meetings_export(request: HttpRequest, fmt: str) -> HttpResponse:
    event, _form, period = _period(request)
    rows = services.meeting_rows(event, period, by=request.user)
    header = services.meetings_header()
    name = f"bizweek-meetings-{_stamp()}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.stream_csv(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return _download(exports.write_plain_xlsx(_("Meetings"), header, rows), name, "xlsx")


def _report_context(request: HttpRequest) -> tuple[dict, str]:
    event, form, period = _period(request, ReportForm)
    lang = (form.cleaned_data.get("lang") if form.is_valid() else "") or translation.get_language()
    if lang not in LANGUAGE_CODES:
        lang = settings.LANGUAGE_CODE
    return {"event": event, "period": period, "form": form}, lang


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    context, lang = _report_context(request)
    with translation.override(lang):
        figures = services.event_figures(context["event"], context["period"], by=request.user)
        return render(
            request,
            "dashboard/report.html",
            {
                **context,
                **report.context(context["event"], figures),
                "lang": lang,
                "report_languages": settings.LANGUAGES,
                "query": request.GET.urlencode(),
            },
        )


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    context, lang = _report_context(request)
    with translation.override(lang):
        figures = services.event_figures(context["event"], context["period"], by=request.user)
        pdf = report.render_pdf(context["event"], figures, lang)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bizweek-report-{lang}-{_stamp()}.pdf"'
    return response


@login_required
@require_POST
def nudges_switch(request: HttpRequest) -> HttpResponse:
    event = current_event(request)
    if event is None:
        raise Http404(_("There is no current event."))
    nudges.switch(event, on=request.POST.get("on") == "1", by=request.user)
    return redirect("dashboard:figures")


# --- a company's own figures ----------------------------------------------------------------


@login_required
def my_figures(request: HttpRequest) -> HttpResponse:
    company = _own_company(request)
    event, form, period = _period(request)
    figures = services.company_figures(company, event, period, by=request.user)
    leads = services.lead_rows(company, period, by=request.user)
    return render(
        request,
        "dashboard/mine.html",
        {
            "form": form,
            "figures": figures,
            "tables": _charted(figures),
            "company": company,
            "leads": leads[:50],
            "lead_count": len(leads),
            "lead_header": services.lead_header(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def my_export(request: HttpRequest, fmt: str, key: str = "") -> HttpResponse:
    company = _own_company(request)
    event, _form, period = _period(request)
    figures = services.company_figures(company, event, period, by=request.user)
    return _tables_download(figures, key, fmt, "bizweek-my-figures")


@login_required
def my_leads(request: HttpRequest, fmt: str) -> HttpResponse:
    company = _own_company(request)
    _event, _form, period = _period(request)
    rows = services.lead_rows(company, period, by=request.user)
    header = services.lead_header()
    name = f"bizweek-leads-{_stamp()}"
    if fmt == "csv":
        return _download(exports.write_csv(header, rows), name, "csv")
    return _download(exports.write_xlsx([(_("Leads"), header, rows)]), name, "xlsx")
