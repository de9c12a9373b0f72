"""The organizer's import page queues the import as a background job (issue 14, finding 5):
the request returns at once, the worker records its progress, and the report is kept."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from bizweek.audit.models import AuditEntry
from bizweek.companies import jobs
from bizweek.companies.importing import CompanyImporter
from bizweek.companies.jobs import run_import
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
    assert not (jobs.import_dir() / job.stored_name).exists()  # a failed job keeps no upload


def test_only_organizers_see_an_import_job(client, organizer, exhibitor):
    job = ImportJob.objects.create(created_by=organizer, file_name="<b>x</b>.csv")
    client.force_login(exhibitor)
    assert client.get(reverse("companies:import_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("companies:import_job_progress", args=[job.pk])).status_code == 403
    client.force_login(factories.make_organizer(email="other-org@example.test"))
    html = client.get(reverse("companies:import_job", args=[job.pk])).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in html and "<b>x</b>" not in html


def _age(job: ImportJob, **delta: float) -> None:
    """Move the job's own timestamps back, as if it had been uploaded that long ago."""
    past = timezone.now() - timedelta(**delta)
    ImportJob.objects.filter(pk=job.pk).update(created_at=past, updated_at=past)
    job.refresh_from_db()


def test_job_page_says_why_it_waits_when_no_worker_took_it(client, organizer):
    organizer.language = "ko"
    organizer.save()
    client.force_login(organizer)
    client.post(reverse("companies:import"), {"kind": "companies", "file": _upload(GOOD_ROWS)})
    job = ImportJob.objects.get()
    assert job.task_id and DBTaskResult.objects.ready().filter(id=job.task_id).exists()
    url = reverse("companies:import_job_progress", args=[job.pk])
    assert client.get(url).json()["waiting"] is None  # a worker polls every second: no alarm yet
    _age(job, seconds=20)
    waiting = client.get(url).json()["waiting"]
    assert "bizweek worker" in waiting and "백그라운드" in waiting  # in the organizer's language
    page = client.get(reverse("companies:import_job", args=[job.pk])).content.decode()
    assert 'id="import-waiting"' in page and "bizweek worker" in page
    # A worker busy with an earlier job is a different reason, with a different remedy.
    other = run_import.enqueue(0)
    DBTaskResult.objects.get(id=other.id).claim("worker-1")
    with translation.override("en"):
        assert "busy with 1 earlier job" in jobs.waiting_notice(job)
    # Once the worker claims this job the notice goes, before the job row changes state.
    DBTaskResult.objects.get(id=job.task_id).claim("worker-1")
    assert jobs.waiting_notice(job) is None


def test_uploads_are_deleted_when_the_job_ends_or_never_runs(organizer, settings, tmp_path):
    settings.DATA_DIR = tmp_path

    def start(rows) -> ImportJob:
        upload = _upload(rows)
        return jobs.start_import(organizer, upload, kind="companies", dry_run=True, invite=False)

    failing = start([dict(GOOD_ROWS[0], timezone="Mars/Olympus")])
    jobs.execute(failing.pk)  # a report with errors: the file goes all the same
    assert not (jobs.import_dir() / failing.stored_name).exists()

    forgotten, recent = start(GOOD_ROWS), start(GOOD_ROWS)
    _age(forgotten, hours=25)
    orphan_old = jobs.import_dir() / "old.upload"  # e.g. a job row deleted in the admin
    orphan_old.write_bytes(b"name\n")
    old = (timezone.now() - timedelta(hours=30)).timestamp()
    os.utime(orphan_old, (old, old))
    orphan_new = jobs.import_dir() / "new.upload"  # a job being created this very moment
    orphan_new.write_bytes(b"name\n")

    assert jobs.sweep_uploads() == 2
    left = sorted(path.name for path in jobs.import_dir().iterdir())
    assert left == sorted([recent.stored_name, "new.upload"])
    forgotten.refresh_from_db()
    assert forgotten.state == ImportState.FAILED and forgotten.finished
    assert "upload it again" in forgotten.report["summary"]
    jobs.execute(forgotten.pk)  # a worker that starts later does not import it
    forgotten.refresh_from_db()
    assert forgotten.state == ImportState.FAILED and not Company.objects.exists()
    recent.refresh_from_db()
    assert recent.state == ImportState.QUEUED
    jobs.execute(recent.pk)
    recent.refresh_from_db()
    assert recent.state == ImportState.DONE and recent.report["ok"]


@pytest.mark.django_db(transaction=True)  # the worker closes connections: committed data
def test_a_worker_starting_sweeps_stale_uploads(settings, tmp_path):
    """`serve --no-jobs` runs no periodic loop: `bizweek worker` sweeps when it starts."""
    settings.DATA_DIR = tmp_path
    stale = jobs.import_dir() / "left-behind.upload"
    stale.write_bytes(b"name\n")
    old = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(stale, (old, old))
    call_command("worker", batch=True, interval=0)
    assert not stale.exists()
