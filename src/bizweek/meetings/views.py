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
        rows.append(
            {
                "meeting": meeting,
                "other": other,
                "room_open": services.room_state(meeting, now) == "open",
            }
        )
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
        {
            "meeting": meeting,
            "other": other,
            "interpreters": interpreters,
            "room_opens_minutes": services.policy(meeting.event).room_opens_minutes,
        },
    )


@login_required
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """The video room. Participants and observing organizers only (the WebSocket checks the
    same rule); before it opens or after it closes the page says when, with no call."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("seller", "buyer", "interpreter", "event"), pk=pk
    )
    role = services.room_role(request.user, meeting)
    if role is None:
        raise PermissionDenied(
            _("Only the two companies, their interpreter and the organizers can enter this room.")
        )
    state = services.room_state(meeting)
    strings = {
        "waiting": _("The other side has not joined yet."),
        "camera_refused": _(
            "The browser did not allow the camera or microphone. You can join with audio "
            "only, or as a listener."
        ),
        "no_devices": _("No camera or microphone was found. You can join as a listener."),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost; reconnecting…"),
        "ends_in": _("Ends in"),
        "ends_at": _("ends at"),
        "two_minutes": _("The meeting ends in 2 minutes."),
        "closed": _("The meeting time is over; the room is closed."),
        "extended": _("The meeting was extended."),
        "you": _("You"),
        "muted": _("muted"),
        "camera_off": _("camera off"),
        "quality_good": _("Connection: good"),
        "quality_fair": _("Connection: fair"),
        "quality_poor": _("Connection: poor"),
        "interpreter": _("Interpreter"),
        "observer": _("Observer"),
        "seller": _("Exhibitor"),
        "buyer": _("Buyer"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "camera_stop": _("Camera off"),
        "camera_start": _("Camera on"),
        "share": _("Share screen"),
        "share_stop": _("Stop sharing"),
        "refused": _("You cannot enter this room."),
    }
    return render(
        request,
        "meetings/room.html",
        {
            "meeting": meeting,
            "role": role,
            "state": state,
            "opens_at": services.room_opens_at(meeting),
            "closes_at": services.room_closes_at(meeting),
            "strings": strings,
            "observer": role == "observer",
        },
        status=200,
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
