"""Background jobs of the scheduler (django-tasks; run by `bizweek worker` or `bizweek serve`)."""

from __future__ import annotations

from django_tasks import task


@task()
def draft_schedule(job_id: int) -> None:
    """Solve one queued "Draft a schedule" request (see `drafts.execute_job`)."""
    from .drafts import execute_job

    execute_job(job_id)
