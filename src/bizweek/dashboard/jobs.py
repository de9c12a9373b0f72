"""Background exports: the full meetings list is too long to build inside a page request
(50,000 rows take seconds, and a serving process has only a couple of HTTP threads)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from bizweek.accounts.models import User

from . import exports, services
from .models import Export, ExportStatus

EXPORT_DIR = "exports"


def export_dir() -> Path:
    """Outside MEDIA_ROOT: nothing here is public; the download view checks permissions."""
    path = Path(settings.DATA_DIR) / EXPORT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_meetings_export(user: User, *, fmt: str, since, until) -> Export:  # noqa: ANN001
    """Queue the full meetings list for `user` (organizers only)."""
    if not user.has_perm("dashboard.view_all_figures"):
        raise PermissionDenied(_("You may not see these figures."))
    export = Export.objects.create(
        requested_by=user,
        fmt="csv" if fmt == "csv" else "xlsx",
        since=since,
        until=until,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    build_export.enqueue(export.pk)
    return export


def build(export: Export) -> Export:
    from bizweek.events.services import current_event

    began = time.perf_counter()
    event = current_event()
    period = services.period_for(event, export.since, export.until)
    with translation.override(export.language):
        rows = list(services.meeting_rows(event, period, by=export.requested_by))
        header = services.meetings_header()
        if export.fmt == "csv":
            body = exports.write_csv(header, rows)
        else:
            body = exports.write_plain_xlsx(_("Meetings"), header, rows)
    name = f"meetings-{export.pk}-{secrets.token_hex(8)}.{export.fmt}"
    (export_dir() / name).write_bytes(body)
    export.file_name = name
    export.rows = len(rows)
    export.status = ExportStatus.DONE
    export.seconds = round(time.perf_counter() - began, 2)
    export.save(update_fields=["file_name", "rows", "status", "seconds"])
    return export


@task()
def build_export(export_id: int) -> int:
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    try:
        build(export)
    except Exception:
        Export.objects.filter(pk=export_id).update(status=ExportStatus.FAILED)
        raise
    return export.rows


def recent_exports(user: User, limit: int = 5) -> list[Export]:
    return list(Export.objects.filter(requested_by=user)[:limit])


def export_path(export: Export, user: User) -> Path:
    """The finished file, for its requester if still an organizer."""
    if export.requested_by_id != user.pk or not user.has_perm("dashboard.view_all_figures"):
        raise PermissionDenied(_("You may not see these figures."))
    return export_dir() / export.file_name
