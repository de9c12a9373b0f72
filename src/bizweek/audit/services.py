"""Record organizer actions and search them. Every app may call `record`; this module imports
no other Bizweek app, so it can never take part in an import circle."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEntry

#: The actions other apps record, with the label the log page shows.
ACTIONS = {
    "company.approved": gettext_lazy("Company approved"),
    "company.rejected": gettext_lazy("Company rejected"),
    "companies.imported": gettext_lazy("Companies imported"),
    "products.imported": gettext_lazy("Products imported"),
    "schedule.published": gettext_lazy("Schedule published"),
    "exchange_rate.changed": gettext_lazy("Exchange rate changed"),
    "nudges.switched": gettext_lazy("Reminders switched"),
    "moderation": gettext_lazy("Moderation"),
    "show.cancelled": gettext_lazy("Show cancelled"),
    "show.restored": gettext_lazy("Show restored"),
}


def _plain(value: Any) -> Any:
    """JSON-safe copy of a detail value (dates, decimals and model instances become text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(actor: Any, action: str, target: Any = None, **details: Any) -> AuditEntry:
    """Append one entry. `target` is a model instance, a plain label, or None."""
    actor_label = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = getattr(actor, "email", "") or str(actor)
    else:
        actor = None
    target_type = target_id = target_label = ""
    if target is not None:
        meta = getattr(target, "_meta", None)
        if meta is not None:
            target_type = meta.label_lower
            target_id = str(target.pk)
        target_label = str(target)[:300]
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor_label[:254],
        action=action[:60],
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=_plain(details),
    )


def search(
    user: Any,
    *,
    q: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching a free text (who, what, object), an action and a date range."""
    if not user.has_perm("audit.view_log"):
        raise PermissionDenied(_("Only organizers can read the audit log."))
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    for word in q.split()[:5]:
        entries = entries.filter(
            Q(actor_label__icontains=word)
            | Q(action__icontains=word)
            | Q(target_label__icontains=word)
            | Q(details__icontains=word)
        )
    return entries
