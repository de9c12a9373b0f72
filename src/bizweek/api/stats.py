"""/api/v1/stats: the organizer's figures, or a company's own, as on the figures pages."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from bizweek.dashboard import services
from bizweek.events.services import current_event

from .auth import session_auth, token_auth

router = Router(tags=["stats"], auth=[token_auth, session_auth])


@router.get("/stats", summary="Figures of the event (organizers) or of my company")
def stats(
    request: HttpRequest,
    since: date | None = None,
    until: date | None = None,
    scope: str = "",
) -> dict:
    """Organizers get the whole event (`scope=company` gives their own company, if any);
    company members get their company's own figures. Amounts are exact decimal strings in USD;
    rates are percentages with one decimal."""
    if since and until and since > until:
        raise DjangoValidationError({"since": _("The start of the period is after its end.")})
    event = current_event(request)
    period = services.period_for(event, since, until)
    user = request.user
    if user.has_perm("dashboard.view_all_figures") and scope != "company":
        return services.event_figures(event, period, by=user).as_dict()
    if user.company is None:
        raise PermissionDenied(_("You may not see these figures."))
    return services.company_figures(user.company, event, period, by=user).as_dict()
