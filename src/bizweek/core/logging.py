"""Logging filters."""

from __future__ import annotations

import logging


class OneLineForbidden(logging.Filter):
    """A refused request (403) is an expected event, not a failure: log it in one line with
    who and where, without the traceback Django attaches (it hid real errors in the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            request = getattr(record, "request", None)
            user = getattr(request, "user", None)
            who = f"user {user.pk}" if user is not None and user.is_authenticated else "anonymous"
            exc = record.exc_info[1]
            reason = str(exc) if exc is not None and str(exc) else "permission denied"
            record.msg = "Forbidden: %s %s (%s): %s"
            record.args = (
                getattr(request, "method", "?"),
                getattr(request, "path", "?"),
                who,
                reason,
            )
            record.exc_info = None
            record.exc_text = None
        return True
