"""My meetings, one meeting, calendar files, and interpreter assignment."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bizweek.accounts.models import User

from . import calendar, ice, services
from .forms import ConsultationLogForm, ExchangeRatesForm
from .models import NOT_HAPPENED, ConsultationLog, Meeting, MeetingState, Outcome, SharedFile


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
    started = meeting.starts_at <= timezone.now()
    outcome = services.outcome_of(meeting)
    member = request.user.company_id in (meeting.seller_id, meeting.buyer_id)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "other": other,
            "interpreters": interpreters,
            "room_opens_minutes": services.policy(meeting.event).room_opens_minutes,
            "started": started,
            "outcome": outcome,
            # The meeting did not take place: the pair may ask for another time.
            "can_retry": member
            and outcome is not None
            and outcome.outcome in NOT_HAPPENED
            and meeting.event.matching_is_open(),
            "figures": services.meeting_figures(meeting) if started else {},
            "log_companies": (log_companies := services.log_companies_for(request.user, meeting)),
            "unfiled": services.unfiled_log_companies(meeting, log_companies, outcome),
            "report_deadline": services.report_deadline(meeting.event),
            "can_report": started
            and meeting.state == MeetingState.SCHEDULED
            and (
                request.user.is_organizer
                or request.user.company_id in (meeting.seller_id, meeting.buyer_id)
            ),
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


@login_required
@require_POST
def not_happened(request: HttpRequest, pk: int) -> HttpResponse:
    """Either side says the meeting did not take place (whatever attendance says)."""
    meeting = _visible_meeting(request, pk)
    try:
        services.report_not_happened(meeting, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Noted: the meeting did not take place."))
    return redirect("meetings:detail", pk=pk)


@login_required
def consultation_log(request: HttpRequest, pk: int, company_id: int) -> HttpResponse:
    """File or edit one company's 상담일지 (the company's members, or the interpreter)."""
    meeting = _visible_meeting(request, pk)
    allowed = {company.pk: company for company in services.log_companies_for(request.user, meeting)}
    if company_id not in allowed:
        raise PermissionDenied(_("You may not file a log for this company."))
    company = allowed[company_id]
    instance = ConsultationLog.objects.filter(meeting=meeting, company=company).first()
    deadline = services.report_deadline(meeting.event)
    form = ConsultationLogForm(request.POST or None, instance=instance, seller_id=meeting.seller_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_log(
                meeting,
                company=company,
                by=request.user,
                products=list(form.cleaned_data["products"]),
                **form.service_fields(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The consultation log was saved."))
            return redirect("meetings:detail", pk=pk)
    return render(
        request,
        "meetings/log_form.html",
        {
            "meeting": meeting,
            "company": company,
            "form": form,
            "deadline": deadline,
            "open": meeting.starts_at <= timezone.now() <= deadline,
            "rates": services.exchange_rates(meeting.event),
        },
    )


@login_required
def exchange_rates(request: HttpRequest) -> HttpResponse:
    """Organizer: the rates that turn KRW and CNY into USD for the event's figures, and the
    deadline for consultation logs."""
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    from bizweek.events.services import current_event

    event = current_event(request)
    if event is None:
        raise Http404
    rates = services.exchange_rates(event)
    policy = services.policy(event)
    form = ExchangeRatesForm(
        request.POST or None,
        initial={
            "krw": rates.get("KRW"),
            "cny": rates.get("CNY"),
            "report_deadline": policy.report_deadline,
        },
    )
    if request.method == "POST" and form.is_valid():
        for currency in ("KRW", "CNY"):
            value = form.cleaned_data[currency.lower()]
            if value is not None:
                services.set_exchange_rate(event, currency, value, by=request.user)
        services.set_report_deadline(event, form.cleaned_data["report_deadline"], by=request.user)
        messages.success(request, _("The exchange rates were saved."))
        return redirect("meetings:rates")
    return render(
        request,
        "meetings/rates.html",
        {"form": form, "event": event, "deadline": services.report_deadline(event)},
    )


STATUS_LABELS = {
    "waiting": gettext_lazy("waiting"),
    "one_side": gettext_lazy("one side in"),
    "both_in": gettext_lazy("both in"),
    "interpreter_in": gettext_lazy("both in, with interpreter"),
    "ended": gettext_lazy("ended"),
}


@login_required
def control_tower(request: HttpRequest) -> HttpResponse:
    """Organizer: every meeting of the current slot with its live status, one click to
    observe. The page subscribes to /ws/meetings/tower/ for changes."""
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    from bizweek.events.services import current_event

    event = current_event(request)
    if event is None:
        raise Http404
    now = timezone.now()
    labels = {**STATUS_LABELS, **dict(Outcome.choices)}
    meetings = list(services.current_slot_meetings(event, now)[:500])
    interpreter = request.GET.get("interpreter", "")
    if interpreter.isdigit():
        meetings = [m for m in meetings if m.interpreter_id == int(interpreter)]
    rows = []
    for meeting in meetings:
        status = services.meeting_status(meeting, now)
        rows.append({"meeting": meeting, "status": status, "label": labels.get(status, status)})
    interpreters = User.objects.filter(interpreted_meetings__in=meetings).distinct()
    return render(
        request,
        "meetings/tower.html",
        {
            "rows": rows,
            "labels": {key: str(value) for key, value in labels.items()},
            "interpreters": interpreters,
            "interpreter": interpreter,
        },
    )


@login_required
def check(request: HttpRequest) -> HttpResponse:
    """Connection test: camera, microphone and a connection through TURN, days before the
    event; the browser posts its result here."""
    if request.method == "POST":
        try:
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            return JsonResponse({"detail": _("The result is not valid.")}, status=400)
        result = services.record_check(
            request.user,
            camera=data.get("camera") is True,
            microphone=data.get("microphone") is True,
            relay=data.get("relay") is True,
        )
        return JsonResponse({"passed": result.passed})
    valid_until = timezone.now() + timedelta(hours=1)
    return render(
        request,
        "meetings/check.html",
        {
            "ice": {
                "servers": ice.ice_servers(request.user.pk, valid_until),
                "turn": bool(settings.BIZWEEK_TURN_URLS and settings.BIZWEEK_TURN_SECRET),
            },
            "last": request.user.connection_checks.first(),
            "strings": {
                "ok": _("works"),
                "failed": _("does not work"),
                "passed": _("Everything works: you are ready for your meetings."),
                "not_passed": _(
                    "Something does not work. Allow the camera and microphone in the browser, "
                    "try another network (corporate networks may block video calls), or ask "
                    "the organizers for help."
                ),
            },
        },
    )


@login_required
def checks(request: HttpRequest) -> HttpResponse:
    """Organizer: who has passed the connection test, who has not (or never tried)."""
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    from bizweek.events.services import current_event

    event = current_event(request)
    if event is None:
        raise Http404
    return render(request, "meetings/checks.html", {"rows": services.check_overview(event)})


@login_required
@require_POST
def share_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A participant shares a PDF or a picture; everyone in the room sees it at once."""
    meeting = get_object_or_404(Meeting.objects.select_related("event"), pk=pk)
    if services.room_role(request.user, meeting) is None:
        return JsonResponse({"detail": _("This meeting belongs to other companies.")}, status=403)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"detail": _("Choose a file.")}, status=400)
    try:
        shared = services.share_file(meeting, upload, by=request.user)
    except PermissionDenied as error:
        return JsonResponse({"detail": str(error)}, status=403)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    payload = services.file_payload(shared)
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from .consumers import group_name

    async_to_sync(get_channel_layer().group_send)(
        group_name(meeting.pk), {"type": "file.shared", "file": payload}
    )
    return JsonResponse(payload, status=201)


@login_required
def shared_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    """Download a file shared in a room: the room's people only."""
    meeting = get_object_or_404(Meeting, pk=pk)
    if services.room_role(request.user, meeting) is None:
        raise PermissionDenied(_("This meeting belongs to other companies."))
    shared = get_object_or_404(SharedFile, pk=file_id, meeting=meeting)
    return FileResponse(shared.file.open("rb"), as_attachment=True, filename=shared.name)
