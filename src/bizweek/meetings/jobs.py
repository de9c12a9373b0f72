"""Periodic work: meeting reminders, outcomes of finished meetings, expiring stale
requests and deleting stale import uploads (run by `bizweek serve`)."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_once() -> tuple[int, int]:
    from bizweek.matching.services import expire_stale

    from .services import decide_due_outcomes, send_due_reminders

    reminded, expired = send_due_reminders() + _send_show_reminders(), expire_stale()
    decided = decide_due_outcomes()  # meetings whose slot ended: held, partial or no-show
    _sweep_import_uploads()
    if decided:
        logger.info("decided the outcome of %d meeting(s)", decided)
    return reminded, expired


def _send_show_reminders() -> int:
    """Reminders before live shows (studio/reminders.py), with the meetings' reminders."""
    try:
        from bizweek.studio.reminders import send_due

        return send_due()
    except Exception:  # the meetings' reminders and expiries go on
        logger.exception("could not send show reminders")
        return 0


def _sweep_import_uploads() -> None:
    """Spreadsheet uploads no import job will read again are deleted (companies/jobs.py)."""
    try:
        from bizweek.companies.jobs import sweep_uploads

        if deleted := sweep_uploads():
            logger.info("deleted %d stale import upload(s)", deleted)
    except Exception:  # the reminders and expiries go on
        logger.exception("could not sweep the import uploads")


NUDGE_EVERY = 3600.0  # seconds; the job itself reminds each person at most every two days
_last_nudge_enqueue = 0.0


def _enqueue_nudges() -> None:
    """Queue the reminder job (dashboard/nudges.py) once an hour."""
    global _last_nudge_enqueue
    now = time.monotonic()
    if _last_nudge_enqueue and now - _last_nudge_enqueue < NUDGE_EVERY:
        return
    _last_nudge_enqueue = now
    try:
        from bizweek.dashboard.nudges import send_nudges

        send_nudges.enqueue()
    except Exception:  # a failed enqueue must not stop the reminders and expiries
        logger.exception("could not queue the nudges job")


def _warm_recommendations() -> None:
    """Build the recommendation index before a person waits for it (it is cached per process
    and rebuilt after data changes)."""
    try:
        from bizweek.recommend.services import get_index

        get_index()
    except Exception:  # warming is an optimisation; the page builds the index itself if needed
        logger.exception("could not warm the recommendation index")
    finally:
        close_old_connections()


def start_background_loop(interval: float = 60.0) -> threading.Thread:
    """A daemon thread in the serving process; one per deployment (the main process)."""
    stop = threading.Event()

    def loop() -> None:
        _warm_recommendations()
        while not stop.wait(interval):
            try:
                reminded, expired = run_once()
                _enqueue_nudges()
                _warm_recommendations()
                if reminded or expired:
                    logger.info("sent %d reminder(s), expired %d request(s)", reminded, expired)
            except Exception:  # a failed round must not stop later rounds
                logger.exception("periodic jobs failed")
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="bizweek-jobs", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
