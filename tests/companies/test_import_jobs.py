"""The organizer's import page queues the import as a background job (issue 14, finding 5):
the request returns at once, the worker records its progress, and the report is kept."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bizweek.audit.models import AuditEntry
from bizweek.companies import jobs
from bizweek.companies.importing import CompanyImporter
from bizweek.companies.models import Company, ImportJob, ImportState
from bizweek.core.tasks import run_pending_jobs
from tests import factories
from tests.companies.test_chunked_import import many_rows
from tests.companies.test_importing import GOOD_ROWS, csv_file
from tests.importpage import import_on_page

pytestmark = pytest.mark.django_db


def _upload(rows, name: str = "companies.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_file(rows).getvalue(), "text/csv")


@pytest.mark.django_db(transaction=True)  # the worker closes connections: committed data
def test_upload_is_queued_not_imported_in_the_request(client, taxonomy, organizer):
    client.force_login(organizer)
    data = {"kind": "companies", "file": _upload(GOOD_ROWS)}
    response = client.post(reverse("companies:import"), data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.state == ImportState.QUEUED
    assert not Company.objects.exists()  # nothing written while the organizer waited
    progress = client.get(reverse("companies:import_job_progress", args=[job.pk])).json()
    assert progress["state"] == "queued" and not progress["finished"]
    assert (jobs.import_dir() / job.stored_name).exists()
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.done == job.total == 2
    assert job.report["ok"] and job.report["created"] == 2
    assert Company.objects.count() == 2
    assert not (jobs.import_dir() / job.stored_name).exists()  # the upload is not kept
    assert AuditEntry.objects.filter(action="companies.imported").count() == 1
    progress = client.get(reverse("companies:import_job_progress", args=[job.pk])).json()
    assert progress["finished"] and progress["done"] == progress["total"] == 2


def test_report_is_in_the_uploaders_language(client, organizer):
    organizer.language = "ko"
    organizer.save()
    client.force_login(organizer)
    bad = [dict(GOOD_ROWS[0], timezone="Mars/Olympus")]
    html = import_on_page(client, _upload(bad))
    job = ImportJob.objects.get()
    assert job.language == "ko"
    error = job.report["errors"][0]
    assert error["row"] == 2 and error["column"] == "timezone"
    assert "Mars/Olympus" in error["message"] and "Unknown" not in error["message"]
    assert error["message"] in html
    assert not Company.objects.exists()


def test_large_file_is_written_in_chunks_with_progress_and_still_all_or_nothing(
    organizer, monkeypatch
):
    monkeypatch.setattr(CompanyImporter, "CHUNK_ROWS", 40)
    monkeypatch.setattr(CompanyImporter, "CHUNK_PAUSE", 0)
    write = CompanyImporter.write
    seen: list[tuple[str, int, int]] = []

    def watched(self, rows, report, progress):  # what the page would read before each chunk
        job = ImportJob.objects.get()
        seen.append((job.state, job.done, job.total))
        return write(self, rows, report, progress)

    monkeypatch.setattr(CompanyImporter, "write", watched)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0)
    job = jobs.start_import(
        organizer, _upload(many_rows(200)), kind="companies", dry_run=False, invite=False
    )
    jobs.execute(job.pk)
    assert seen == [("writing", done, 200) for done in (0, 40, 80, 120, 160)]
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 200, 200)
    assert Company.objects.count() == 200
    # A file whose last chunk fails leaves nothing behind (the compensation undoes the rest).

    def fail_late(self, rows, report, progress):
        if rows[0]["external_id"] == "KR-00360":
            raise RuntimeError("disk full")
        return write(self, rows, report, progress)

    monkeypatch.setattr(CompanyImporter, "write", fail_late)
    job = jobs.start_import(
        organizer, _upload(many_rows(200, start=200)), kind="companies", dry_run=False, invite=False
    )
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and "nothing was written" in job.report["summary"]
    assert Company.objects.count() == 200


def test_only_organizers_see_an_import_job(client, organizer, exhibitor):
    job = ImportJob.objects.create(created_by=organizer, file_name="<b>x</b>.csv")
    client.force_login(exhibitor)
    assert client.get(reverse("companies:import_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("companies:import_job_progress", args=[job.pk])).status_code == 403
    client.force_login(factories.make_organizer(email="other-org@example.test"))
    html = client.get(reverse("companies:import_job", args=[job.pk])).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in html and "<b>x</b>" not in html
