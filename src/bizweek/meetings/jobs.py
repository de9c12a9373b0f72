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


def start_background_loop(interval: float = 60.0) -> threading.Thread:
    """A daemon thread in the serving process; one per deployment (the main process)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                reminded, expired = run_once()
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
