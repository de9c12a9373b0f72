"""Spreadsheet imports from the organizer's page as background jobs (issue 14, finding 5).

The page stores the upload and queues a job; a worker (`bizweek worker`, or the thread of
`bizweek serve`) validates the whole file, then writes it in short chunks (still all or nothing,
see `RowImporter.apply`) and records its progress in the job row, which the page polls.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from bizweek.accounts.models import User
from bizweek.audit import services as audit

from .models import ImportJob, ImportState

logger = logging.getLogger(__name__)

IMPORT_DIR = "imports"
PROGRESS_EVERY = 0.5  # seconds between progress writes: each is a (short) write on SQLite
# A worker polls the queue every second (core/tasks.py); a job still queued after this long was
# not picked up, and the page says why it waits.
WAIT_NOTICE_AFTER = timedelta(seconds=15)
# Uploads hold contact data: a job no worker ran (or one whose worker died mid-run) is closed
# after this long and its file deleted, as is any file under imports/ that no job names.
STALE_AFTER = timedelta(hours=24)


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
    result = run_import.enqueue(job.pk)
    job.task_id = str(result.id)[:64]
    ImportJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
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


def _update(pk: int, **fields: object) -> None:
    """`update()` skips auto_now: the sweep tells a dead run from a live one by `updated_at`."""
    ImportJob.objects.filter(pk=pk).update(updated_at=timezone.now(), **fields)


def execute(job_id: int) -> None:
    """The worker's side: import the stored file, writing progress into the job row."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != ImportState.QUEUED:
        return
    path = import_dir() / job.stored_name
    _update(job.pk, state=ImportState.READING)
    last = {"at": 0.0}

    def stage(name: str, total: int) -> None:
        _update(job.pk, state=name, done=0, total=total)

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and done and now - last["at"] < PROGRESS_EVERY:
            return
        last["at"] = now
        _update(job.pk, done=done, total=total)

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
        _update(
            job.pk,
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
    _update(job.pk, state=ImportState.DONE, report=data, done=report.rows, total=report.rows)


@task()
def run_import(job_id: int) -> None:
    """One queued spreadsheet import (see `execute`)."""
    execute(job_id)


def waiting_notice(job: ImportJob, now: datetime | None = None) -> str | None:
    """Why a job is still queued, for the organizer who watches its page.

    Based on the job's own timestamps and on the queue's records (django-tasks marks a task
    RUNNING, with its worker's id, when a worker claims it): either other jobs hold the worker,
    or no worker is there at all. None while the wait is still normal.
    """
    now = now or timezone.now()
    if job.state != ImportState.QUEUED or now - job.created_at < WAIT_NOTICE_AFTER:
        return None
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.running()
    if job.task_id:
        if running.filter(id=job.task_id).exists():
            return None  # claimed a moment ago; the job row changes state next
        running = running.exclude(id=job.task_id)
    busy = running.count()
    if busy:
        return ngettext(
            "The background worker is busy with %(count)d earlier job; this import starts "
            "when it is done.",
            "The background workers are busy with %(count)d earlier jobs; this import starts "
            "when one of them is done.",
            busy,
        ) % {"count": busy}
    return _(
        "No background worker has taken this import yet. The server runs one by itself "
        "(bizweek serve); if you started the site another way, or with --no-jobs, "
        "run: bizweek worker"
    )


def job_progress(job: ImportJob) -> dict[str, object]:
    """What the page's script polls: the state and rows done of the current stage."""
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": job.finished,
        "done": job.done,
        "total": job.total,
        "waiting": waiting_notice(job),
    }


def sweep_uploads(now: datetime | None = None) -> int:
    """Delete stored uploads no job will read again; returns how many files were deleted.

    Run by the periodic loop (meetings/jobs.py `run_once`: `bizweek serve`, `bizweek reminders
    --loop`) and when `bizweek worker` starts. A job queued or running for longer than
    STALE_AFTER is closed as failed, with a message in its uploader's language, so that a
    worker starting later does not import a file the organizer has long given up on.
    """
    now = now or timezone.now()
    folder = import_dir()
    deleted = 0
    stale = ImportJob.objects.filter(updated_at__lt=now - STALE_AFTER).exclude(
        state__in=[ImportState.DONE, ImportState.FAILED]
    )
    for job in stale:
        with translation.override(job.language):
            message = _(
                "No background worker ran this import within a day; nothing was written and "
                "the uploaded file was deleted. Please upload it again."
            )
        closed = (
            ImportJob.objects.filter(pk=job.pk, updated_at=job.updated_at)
            .exclude(state__in=[ImportState.DONE, ImportState.FAILED])
            .update(
                state=ImportState.FAILED,
                report={"ok": False, "summary": message, "errors": [], "notes": []},
                updated_at=now,
            )
        )
        if closed:
            logger.warning("import job %s was never finished; closed it", job.pk)
    keep = set(
        ImportJob.objects.exclude(state__in=[ImportState.DONE, ImportState.FAILED]).values_list(
            "stored_name", flat=True
        )
    )
    for path in folder.glob("*.upload"):
        if path.name in keep:
            continue
        try:
            modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        except FileNotFoundError:  # the worker deleted it meanwhile
            continue
        named = ImportJob.objects.filter(stored_name=path.name).exists()
        # A file no job names may belong to a job being created right now: give it time.
        if named or now - modified > STALE_AFTER:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def recent_jobs(limit: int = 5) -> list[ImportJob]:
    return list(ImportJob.objects.select_related("created_by")[:limit])
