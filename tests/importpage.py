"""Uploading a spreadsheet on the organizer's import page, as the page works since issue 14:
the upload is queued, a worker imports it, and the job page shows the report."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from bizweek.companies import jobs
from bizweek.companies.models import ImportJob

TASK = "bizweek.companies.jobs.run_import"


def import_on_page(client: Client, upload, kind: str = "companies", **fields: object) -> str:
    """Post the file, check the page answered at once with a redirect to the queued job, run
    the job as the worker would, and return the job page's HTML (with the report).

    The job runs in this thread: the database worker closes connections, which ends the test's
    transaction on PostgreSQL. tests/companies/test_import_jobs.py runs the real worker.
    """
    before = set(ImportJob.objects.values_list("pk", flat=True))
    response = client.post(reverse("companies:import"), {"kind": kind, "file": upload, **fields})
    job = ImportJob.objects.exclude(pk__in=before).get()
    assert response.status_code == 302
    assert response.url == reverse("companies:import_job", args=[job.pk])
    queued = DBTaskResult.objects.ready().filter(task_path=TASK)
    assert [task.args_kwargs["args"] for task in queued] == [[job.pk]]
    queued.delete()
    jobs.execute(job.pk)
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()
