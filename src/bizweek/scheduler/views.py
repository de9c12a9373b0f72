"""The organizer's auto-scheduler pages: draft a day's schedule, review it, publish it."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizweek.events.models import Event
from bizweek.events.services import current_event
from bizweek.matching.models import MeetingDay, RunStatus, ScheduleRun

from . import drafts as scheduling
from .models import DraftJob, JobState


def _event_or_404(request: HttpRequest | None = None) -> Event:
    event = current_event(request)
    if event is None:
        raise PermissionDenied(_("No event is set up yet."))
    return event


class ScheduleForm(forms.Form):
    day = forms.ModelChoiceField(
        label=gettext_lazy("Meeting day"), queryset=MeetingDay.objects.none()
    )
    tables = forms.IntegerField(
        label=gettext_lazy("Meetings at once (rooms)"), min_value=1, max_value=10000, initial=20
    )
    time_limit = forms.IntegerField(
        label=gettext_lazy("Time limit (seconds)"), min_value=2, max_value=600, initial=20
    )

    def __init__(self, *args, event: Event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["day"].queryset = event.meeting_days.filter(date__gte=today)


def _organizer_only(request: HttpRequest) -> None:
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    _organizer_only(request)
    event = _event_or_404(request)
    form = ScheduleForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            job = scheduling.start_draft(
                event,
                form.cleaned_data["day"],
                by=request.user,
                tables=form.cleaned_data["tables"],
                time_limit=form.cleaned_data["time_limit"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("scheduler:job", pk=job.pk)
    pairs = scheduling.candidate_pairs(event)
    return render(
        request,
        "scheduler/schedule.html",
        {
            "form": form,
            "event": event,
            "unplaced": sum(1 for p in pairs if p.request is not None),
            "mutual": sum(1 for p in pairs if p.request is None),
            "runs": ScheduleRun.objects.filter(event=event).select_related("day")[:20],
            "jobs": DraftJob.objects.filter(event=event)
            .exclude(state__in=[JobState.DONE, JobState.STOPPED])
            .select_related("day")[:5],
        },
    )


@login_required
def schedule_run(request: HttpRequest, pk: int) -> HttpResponse:
    _organizer_only(request)
    run = get_object_or_404(ScheduleRun.objects.select_related("day", "event"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "publish":
                booked, problems = scheduling.publish(run, by=request.user)
                messages.success(
                    request,
                    _("Published: %(count)d meetings booked and both sides notified.")
                    % {"count": booked},
                )
                for problem in problems:
                    messages.error(request, problem)
            elif action == "discard":
                scheduling.discard(run, by=request.user)
                messages.success(request, _("The draft was discarded."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("scheduler:schedule_run", pk=pk)
    drafts = list(run.drafts.select_related("seller", "buyer"))
    breaks = scheduling.participant_breaks(run)
    placed = [d for d in drafts if d.starts_at]
    return render(
        request,
        "scheduler/schedule_run.html",
        {
            "run": run,
            "placed": placed,
            "unplaced": [d for d in drafts if not d.starts_at],
            "unpublished": (
                [d for d in placed if not d.published_meeting_id and (d.reason_code or d.reason)]
                if run.status == RunStatus.PUBLISHED
                else []
            ),
            "slots": _by_slot(placed),
            "max_breaks": max(breaks.values(), default=0),
            "companies": len(breaks),
        },
    )


def _by_slot(drafts: list) -> list[tuple[datetime, list]]:
    return [(moment, list(group)) for moment, group in groupby(drafts, key=lambda d: d.starts_at)]


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft being computed: live progress, and a button to stop with the best so far."""
    _organizer_only(request)
    draft_job = get_object_or_404(DraftJob.objects.select_related("day"), pk=pk)
    if request.method == "POST" and request.POST.get("action") == "stop":
        scheduling.request_stop(draft_job, by=request.user)
        messages.info(request, _("Stopping: the best schedule found so far becomes the draft."))
        return redirect("scheduler:job", pk=pk)
    return render(
        request,
        "scheduler/job.html",
        {"job": draft_job, "progress": scheduling.job_progress(draft_job)},
    )


@login_required
def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The same figures as JSON, polled by the page's script."""
    _organizer_only(request)
    draft_job = get_object_or_404(DraftJob, pk=pk)
    return JsonResponse(scheduling.job_progress(draft_job))
