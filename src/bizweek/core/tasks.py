"""Run queued background jobs (django-tasks, database backend) inside a serving process.

`bizweek serve` starts one worker thread so that `make run` needs no second command; at scale,
run `bizweek worker` processes and serve with `--no-jobs`.
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)


def make_worker(interval: float = 1.0, batch: bool = False):  # noqa: ANN201 (django_tasks_db's Worker)
    """A django_tasks_db worker for every queue of the default backend."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{os.uname().nodename}-{os.getpid()}-thread",
        excluded_queue_names=[],
    )


def start_worker_thread(interval: float = 1.0) -> threading.Thread | None:
    """A daemon thread that runs queued jobs; none when the backend is not the database one."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    worker = make_worker(interval=interval)

    def run() -> None:
        try:
            worker.run()  # no signal handlers: they belong to the main thread
        except Exception:
            logger.exception("the background job worker stopped")

    thread = threading.Thread(target=run, name="bizweek-tasks", daemon=True)
    thread.worker = worker  # type: ignore[attr-defined]
    thread.start()
    return thread


def run_pending_jobs() -> None:
    """Run every job queued now, in this thread (tests, `bizweek worker --batch`)."""
    make_worker(interval=0, batch=True).run()
