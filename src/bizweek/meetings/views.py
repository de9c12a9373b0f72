"""My meetings, one meeting, calendar files, and interpreter assignment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizweek.accounts.models import User

from . import calendar, services
from .models import Meeting, MeetingState


def _visible_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("seller", "buyer", "interpreter", "event"), pk=pk
    )
    if not services.can_see(request.user, meeting):
        raise PermissionDenied(_("This meeting belongs to other companies."))
    return meeting


@login_required
def my_meetings(request: HttpRequest) -> HttpResponse:
    meetings = services.meetings_for(request.user)
    show_past = request.GET.get("past") == "1"
    now = timezone.now()
    meetings = meetings.filter(ends_at__lte=now) if show_past else meetings.filter(ends_at__gt=now)
    rows = []
    for meeting in meetings:
        other = meeting.buyer if request.user.company_id == meeting.seller_id else meeting.seller
        rows.append({"meeting": meeting, "other": other})
    feed = request.build_absolute_uri(
        reverse("meetings:feed", args=[services.calendar_token(request.user)])
    )
    return render(
        request,
        "meetings/my_meetings.html",
        {"rows": rows, "feed_url": feed, "show_past": show_past},
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    other = meeting.buyer if request.user.company_id == meeting.seller_id else meeting.seller
    interpreters = []
    if request.user.is_organizer and meeting.state == MeetingState.SCHEDULED:
        interpreters = services.interpreters_free_at(meeting)
    return render(
        request,
        "meetings/detail.html",
        {"meeting": meeting, "other": other, "interpreters": interpreters},
    )


@login_required
def ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    response = HttpResponse(
        calendar.meeting_ics(meeting, request.user), content_type="text/calendar"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private calendar subscription URL: the token in it is the only credential."""
    if len(token) < 20:
        raise Http404
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404
    response = HttpResponse(calendar.feed_ics(user), content_type="text/calendar")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def reset_feed(request: HttpRequest) -> HttpResponse:
    services.reset_calendar_token(request.user)
    messages.success(request, _("Your calendar link was replaced; the old one no longer works."))
    return redirect("meetings:mine")


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    services.cancel(meeting, by=request.user)
    messages.success(request, _("The meeting was cancelled."))
    return redirect("meetings:mine")


@login_required
@require_POST
def assign_interpreter(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    interpreter = None
    if request.POST.get("interpreter"):
        interpreter = get_object_or_404(User, pk=request.POST["interpreter"])
    try:
        services.assign_interpreter(meeting, interpreter, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The interpreter was assigned."))
    return redirect("meetings:detail", pk=pk)


@login_required
def interpretation(request: HttpRequest) -> HttpResponse:
    """Organizer: meetings that need an interpreter, and who is free for each."""
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    meetings = (
        Meeting.objects.filter(
            state=MeetingState.SCHEDULED, needs_interpreter=True, ends_at__gt=timezone.now()
        )
        .select_related("seller", "buyer", "interpreter")
        .order_by("starts_at")[:200]
    )
    rows = [{"meeting": m, "free": services.interpreters_free_at(m)} for m in meetings]
    return render(request, "meetings/interpretation.html", {"rows": rows})
