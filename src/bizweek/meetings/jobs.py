"""Periodic work: meeting reminders and expiring stale requests (run by `bizweek serve`)."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_once() -> tuple[int, int]:
    from bizweek.matching.services import expire_stale

    from .services import send_due_reminders

    return send_due_reminders(), expire_stale()


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
