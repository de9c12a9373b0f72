"""Spreadsheet imports from the organizer's page as background jobs (issue 14, finding 5).

The page stores the upload and queues a job; a worker (`bizweek worker`, or the thread of
`bizweek serve`) validates the whole file, then writes it in short chunks (still all or nothing,
see `RowImporter.apply`) and records its progress in the job row, which the page polls.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from bizweek.accounts.models import User
from bizweek.audit import services as audit

from .models import ImportJob, ImportState

logger = logging.getLogger(__name__)

IMPORT_DIR = "imports"
PROGRESS_EVERY = 0.5  # seconds between progress writes: each is a (short) write on SQLite


def import_dir() -> Path:
    """Outside MEDIA_ROOT: uploaded spreadsheets hold contacts and are never served."""
    path = Path(settings.DATA_DIR) / IMPORT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_import(
    user: User, upload: UploadedFile, *, kind: str, dry_run: bool, invite: bool
) -> ImportJob:
    """Keep the upload on disk and queue its import; the request returns at once."""
    if not user.has_perm("companies.import_companies"):
        raise PermissionDenied(_("Only organizers can import companies."))
    stored = f"{secrets.token_hex(16)}.upload"
    with (import_dir() / stored).open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    job = ImportJob.objects.create(
        created_by=user,
        kind="products" if kind == "products" else "companies",
        file_name=(upload.name or "")[:255],
        stored_name=stored,
        dry_run=dry_run,
        invite=invite and kind != "products",
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    run_import.enqueue(job.pk)
    return job


def _report_data(report) -> dict:  # noqa: ANN001 (spreadsheets.ImportReport)
    data = report.as_dict()
    data["summary"] = report.summary()
    accounts = getattr(report, "accounts", None)
    if accounts is not None:
        data["accounts"] = {
            "created": len(accounts.created),
            "attached": len(accounts.attached),
            "skipped": [str(note) for note in accounts.skipped],
        }
    data["invited"] = bool(getattr(report, "invited", False))
    return data


def execute(job_id: int) -> None:
    """The worker's side: import the stored file, writing progress into the job row."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != ImportState.QUEUED:
        return
    path = import_dir() / job.stored_name
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.READING)
    last = {"at": 0.0}

    def stage(name: str, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(state=name, done=0, total=total)

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and done and now - last["at"] < PROGRESS_EVERY:
            return
        last["at"] = now
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        with translation.override(job.language):
            options = {"dry_run": job.dry_run, "progress": progress, "stage": stage}
            if job.kind == "products":
                from bizweek.expo.importing import import_products

                report = import_products(path, **options)
            else:
                from .importing import import_companies

                report = import_companies(path, invite=job.invite, **options)
            data = _report_data(report)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        with translation.override(job.language):
            message = _("The import failed unexpectedly; nothing was written. Please try again.")
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.FAILED,
            report={"ok": False, "summary": message, "errors": [], "notes": []},
        )
        return
    finally:
        path.unlink(missing_ok=True)
    if report.written and job.created_by is not None:
        audit.record(
            job.created_by,
            f"{report.kind}.imported",
            job.file_name,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
        )
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.DONE, report=data, done=report.rows, total=report.rows
    )


@task()
def run_import(job_id: int) -> None:
    """One queued spreadsheet import (see `execute`)."""
    execute(job_id)


def job_progress(job: ImportJob) -> dict[str, object]:
    """What the page's script polls: the state and rows done of the current stage."""
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": job.finished,
        "done": job.done,
        "total": job.total,
    }


def recent_jobs(limit: int = 5) -> list[ImportJob]:
    return list(ImportJob.objects.select_related("created_by")[:limit])
