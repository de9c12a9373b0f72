"""Studio pages: the schedule, a show's viewer page (live or replay), the console, figures."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizweek.events.services import current_event

from . import calendar, ingest, reminders, services
from .consumers import broadcast_state
from .forms import ShowForm
from .models import BroadcastSession, SessionState

HLS_NAME = re.compile(r"^(master\.m3u8|index\.m3u8|seg\d{6}\.ts|low\.m3u8|low\d{6}\.ts)$")


def schedule(request: HttpRequest) -> HttpResponse:
    event = current_event(request)
    sessions = list(services.sessions_of(event)) if event else []
    reminded = reminders.subscribed_ids(request.user, sessions)
    for session in sessions:
        session.reminded = session.pk in reminded
    days = [
        (day, list(rows))
        for day, rows in groupby(sessions, key=lambda s: timezone.localtime(s.starts_at).date())
    ]
    return render(
        request,
        "studio/schedule.html",
        {
            "event": event,
            "days": days,
            "can_schedule": request.user.has_perm("studio.schedule_sessions"),
        },
    )


def _edit_show(request: HttpRequest, session: BroadcastSession) -> HttpResponse:
    """Create or change a show; its times are typed and shown in the event's time zone, since
    organizers plan the programme in the venue's clock whatever zone their own account uses."""
    if not request.user.has_perm("studio.schedule_sessions"):
        raise PermissionDenied(_("Only the organizers can schedule shows."))
    event = session.event
    with timezone.override(ZoneInfo(event.timezone)):
        form = ShowForm(request.POST or None, instance=session)
        if request.method == "POST" and form.is_valid():
            creating = session.pk is None
            form.save()
            messages.success(
                request,
                _("The show is scheduled. Now add the featured companies to its rundown.")
                if creating
                else _("The show is saved."),
            )
            target = "studio:rundown" if creating else "studio:console"
            return redirect(target, pk=session.pk)
        return render(
            request,
            "studio/show_form.html",
            {"form": form, "session": session, "event": event, "zone": event.timezone},
        )


@login_required
def new_show(request: HttpRequest) -> HttpResponse:
    event = current_event(request)
    if event is None:
        raise Http404(_("There is no event to schedule shows in."))
    return _edit_show(request, BroadcastSession(event=event))


@login_required
def edit_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit_show(request, _session(pk))


@login_required
def cancel_show(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a show that has not started: a confirmation page (GET), then the change (POST)."""
    return _cancel_or_restore(request, pk, restore=False)


@login_required
def restore_show(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a cancelled show back on the programme, with the same confirmation step."""
    return _cancel_or_restore(request, pk, restore=True)


def _cancel_or_restore(request: HttpRequest, pk: int, *, restore: bool) -> HttpResponse:
    if not request.user.has_perm("studio.schedule_sessions"):
        raise PermissionDenied(_("Only the organizers can cancel or restore shows."))
    session = _session(pk)
    if request.method == "POST":
        try:
            if restore:
                services.restore(session, by=request.user)
            else:
                services.cancel(session, by=request.user)
        except services.Refused as refusal:
            messages.error(request, refusal.message)
            return redirect("studio:edit", pk=session.pk)
        _tell_viewers(session)  # open show pages change their status line at once
        messages.success(
            request,
            _("The show is back on the programme; its reminders are set again.")
            if restore
            else _("The show is cancelled. Everyone who asked for a reminder is being told."),
        )
        return redirect("studio:schedule")
    possible = session.state == (SessionState.CANCELLED if restore else SessionState.SCHEDULED)
    return render(
        request,
        "studio/cancel.html",
        {
            "session": session,
            "restore": restore,
            "possible": possible,
            "subscribers": session.reminders.filter(user__is_active=True).count(),
        },
    )


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    """Subscribe to (or cancel) the reminder before a show, from the schedule or its page."""
    session = _session(pk)
    wanted = request.POST.get("wanted") == "1"
    subscribed = reminders.set_reminder(session, request.user, wanted)
    if wanted and not subscribed:
        messages.error(request, _("This show has already started: no reminder is needed."))
    elif subscribed:
        messages.success(
            request, _("We will remind you shortly before the show starts, in your language.")
        )
    else:
        messages.success(request, _("The reminder is cancelled."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("studio:watch", args=[session.pk])
    return redirect(target)


def _session(pk: int) -> BroadcastSession:
    return get_object_or_404(BroadcastSession.objects.select_related("event", "host"), pk=pk)


def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    response = HttpResponse(calendar.ics(session, request), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="show-{session.pk}.ics"'
    return response


def watch(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    ended = session.state == SessionState.ENDED
    has_recording = (ingest.hls_dir(session.pk) / "index.m3u8").exists()
    context = {
        "session": session,
        "rundown": services.rundown_of(session),
        "next_sessions": services.next_sessions(session),
        "card": services.current_card(session),
        "ended": ended,
        "has_recording": has_recording,
        "replay": {
            "chapters": services.chapters(session) if ended else [],
            "pins": services.replay_pins(session) if ended else [],
        },
        "reminded": reminders.is_subscribed(session, request.user),
        "can_run": request.user.has_perm("studio.run_session", session),
        "can_see_figures": request.user.has_perm("studio.view_session_figures", session),
        "max_chat": services.MAX_CHAT_LENGTH,
    }
    return render(request, "studio/watch.html", context)


@require_POST
def request_consultation(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not request.user.is_authenticated:
        message = _("Log in to request a consultation.")
        if wants_json:
            return JsonResponse({"detail": message, "code": "sign_in"}, status=401)
        return redirect(f"{reverse('login')}?next={reverse('studio:watch', args=[pk])}")
    try:
        lead = services.request_consultation(
            session,
            request.POST.get("product_id"),
            by=request.user,
            message=request.POST.get("message", ""),
        )
    except (services.Refused, ValidationError, PermissionDenied) as error:
        if isinstance(error, services.Refused):
            detail = error.message
        elif isinstance(error, ValidationError):
            detail = " ".join(error.messages)
        else:
            detail = str(error) or _("You may not do this.")
        if wants_json:
            return JsonResponse({"detail": detail, "code": "refused"}, status=400)
        messages.error(request, detail)
        return redirect("studio:watch", pk=pk)
    done = _("Your consultation request was sent to %(name)s.") % {"name": lead.company.name}
    url = reverse("matching:request", args=[lead.request_id])
    if wants_json:
        return JsonResponse({"detail": done, "request": lead.request_id, "url": url})
    messages.success(request, done)
    return redirect(url)


def _tell_viewers(session: BroadcastSession) -> None:
    """Send the new state to the show's viewers (from a thread without an event loop, as the
    pooled handler's are; from one with a loop, through a helper thread)."""
    try:
        async_to_sync(broadcast_state)(session.pk, session.state)
    except RuntimeError:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(async_to_sync(broadcast_state), session.pk, session.state).result()


def _run(request: HttpRequest, pk: int) -> BroadcastSession:
    session = _session(pk)
    if not request.user.has_perm("studio.run_session", session):
        raise PermissionDenied(_("Only the show's host and the organizers can run this show."))
    return session


@login_required
def console(request: HttpRequest, pk: int) -> HttpResponse:
    session = _run(request, pk)
    health = ingest.read_health(session.pk)
    port = health.get("port") or ingest.rtmp_port(session.pk, set())
    return render(
        request,
        "studio/console.html",
        {
            "session": session,
            "rundown": services.rundown_of(session),
            "rtmp_url": f"rtmp://{settings.BIZWEEK_RTMP_PUBLIC_HOST}:{port}/live",
            "health": health,
            "renditions": renditions_label(health),
            "card": services.current_card(session),
            "destinations": list(session.destinations.all()),
        },
    )


@login_required
def rundown(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the rundown outside the admin: the host and organizers, before or during a show."""
    from bizweek.companies.models import Company

    session = _run(request, pk)
    if request.method == "POST":
        data = {
            "item": request.POST.get("item", ""),
            "company": request.POST.get("company", ""),
            "minutes": request.POST.get("minutes", ""),
            "products": request.POST.getlist("products"),
        }
        try:
            services.edit_rundown(session, request.POST.get("action", ""), data, by=request.user)
        except services.Refused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The rundown is saved."))
        return redirect("studio:rundown", pk=session.pk)
    items = services.rundown_of(session)
    for item in items:
        item.chosen = {product.pk for product in item.products.all()}
        item.choices = list(item.company.products.order_by("position", "pk"))
    featured = {item.company_id for item in items}
    companies = [
        c for c in Company.objects.approved().sellers().order_by("name") if c.pk not in featured
    ]
    return render(
        request,
        "studio/rundown.html",
        {"session": session, "items": items, "companies": companies},
    )


@login_required
@require_POST
def console_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    session = _run(request, pk)
    if action == "live":
        try:
            services.go_live(session, by=request.user)
        except services.Refused as refusal:
            messages.error(request, refusal.message)
            return redirect("studio:console", pk=pk)
        _tell_viewers(session)
        messages.success(request, _("The show is live. Start your encoder."))
    elif action == "end":
        services.end(session, by=request.user)
        _tell_viewers(session)
        messages.success(request, _("The show has ended; the replay is on the show's page."))
    elif action == "key":
        services.regenerate_key(session, by=request.user)
        messages.success(request, _("A new stream key was made; the old one no longer works."))
    else:
        raise Http404
    return redirect("studio:console", pk=pk)


@login_required
@require_POST
def destinations(request: HttpRequest, pk: int) -> HttpResponse:
    session = _run(request, pk)
    if request.POST.get("delete"):
        services.remove_destination(session, int(request.POST["delete"]), by=request.user)
        return redirect("studio:console", pk=pk)
    try:
        services.add_destination(
            session, request.POST.get("name", ""), request.POST.get("url", ""), by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The destination was added."))
    return redirect("studio:console", pk=pk)


@login_required
def health(request: HttpRequest, pk: int) -> JsonResponse:
    session = _run(request, pk)
    data = ingest.read_health(session.pk)
    data["session_state"] = session.state
    data["renditions_label"] = renditions_label(data)
    return JsonResponse(data)


def renditions_label(health: dict) -> str | None:
    """What the console says of the ladder, in the reader's language and time zone: both
    renditions, or 720p alone, and if so since when the server stepped down and why."""
    renditions = health.get("renditions")
    if not renditions:
        return None
    names = " + ".join(renditions)
    at = health.get("stepped_down_at")
    if not at:
        return names
    try:
        moment = timezone.localtime(datetime.fromisoformat(at)).strftime("%H:%M:%S")
    except ValueError:
        moment = "?"
    return _(
        "%(renditions)s only: stepped down at %(time)s because the server fell behind real "
        "time (%(speed)s×)"
    ) % {"renditions": names, "time": moment, "speed": health.get("step_down_speed") or "?"}


def hls(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """The show's HLS playlist and segments (live, and the recording afterwards)."""
    session = _session(pk)
    if not HLS_NAME.match(name):
        raise Http404
    if name == "master.m3u8":  # written here from the renditions there are, never by ffmpeg
        text = ingest.master_playlist(session.pk)
        if text is None:
            raise Http404
        response = HttpResponse(text, content_type="application/vnd.apple.mpegurl")
        response["Cache-Control"] = "no-cache"
        return response
    path = ingest.hls_dir(session.pk) / name
    if not path.is_file():
        raise Http404
    if name.endswith(".m3u8"):
        text = path.read_text()
        if session.state == SessionState.LIVE:
            # Between two encoder connections the playlist ends; live players must keep polling.
            text = text.replace("#EXT-X-ENDLIST\n", "")
        response = HttpResponse(text, content_type="application/vnd.apple.mpegurl")
        response["Cache-Control"] = "no-cache"
        return response
    response = FileResponse(path.open("rb"), content_type="video/mp2t")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def figures(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    data = services.figures(session, request.user)
    return render(request, "studio/figures.html", {"session": session, "figures": data})
