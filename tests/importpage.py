"""Uploading a spreadsheet on the organizer's import page, as the page works since issue 14:
the upload is queued, a worker imports it, and the job page shows the report."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from bizweek.companies.models import ImportJob
from bizweek.core.tasks import run_pending_jobs


def import_on_page(client: Client, upload, kind: str = "companies", **fields: object) -> str:
    """Post the file, check the page answered at once with a redirect to the job, run the
    queued job, and return the job page's HTML (with the report)."""
    before = set(ImportJob.objects.values_list("pk", flat=True))
    response = client.post(reverse("companies:import"), {"kind": kind, "file": upload, **fields})
    job = ImportJob.objects.exclude(pk__in=before).get()
    assert response.status_code == 302
    assert response.url == reverse("companies:import_job", args=[job.pk])
    run_pending_jobs()
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()
