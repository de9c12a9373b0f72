"""Pages for meeting requests, availability and the organizer's matching settings."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.forms import inlineformset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bizweek.companies.models import Company
from bizweek.events.models import Event
from bizweek.events.services import current_event

from . import services
from .models import MeetingDay, MeetingRequest, MoveProposal, RequestState


def _event_or_404(request: HttpRequest | None = None) -> Event:
    event = current_event(request)
    if event is None:
        raise PermissionDenied(_("No event is set up yet."))
    return event


def _parse_slots(values: list[str]) -> list[datetime]:
    """Slots come back from the page as UTC ISO timestamps; anything else is refused."""
    slots = []
    for value in values:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(_("A chosen time could not be read.")) from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        slots.append(moment)
    return slots


def _by_day(slots: list[datetime]) -> list[tuple[object, list[datetime]]]:
    """Group slots by the reader's local date."""
    tz = timezone.get_current_timezone()
    return [
        (day, list(group)) for day, group in groupby(slots, key=lambda s: s.astimezone(tz).date())
    ]


class RequestForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    needs_interpreter = forms.BooleanField(
        label=gettext_lazy("We need an interpreter"), required=False
    )
    languages = forms.ChoiceField(
        label=gettext_lazy("Languages"),
        required=False,
        choices=[
            ("", "—"),
            ("ko-zh", "한국어 ↔ 中文"),
            ("ko-en", "한국어 ↔ English"),
            ("zh-en", "中文 ↔ English"),
        ],
    )


def _require_company(request: HttpRequest) -> Company:
    if request.user.company is None:
        raise PermissionDenied(_("Sign in with your company's account to use business matching."))
    return request.user.company


@login_required
def new_request(request: HttpRequest, company_pk: int) -> HttpResponse:
    event = _event_or_404(request)
    me = _require_company(request)
    other = get_object_or_404(Company, pk=company_pk)
    if not request.user.has_perm("companies.view_company", other):
        raise PermissionDenied
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_request(
                event,
                other,
                by=request.user,
                slots=_parse_slots(request.POST.getlist("slots")),
                message=form.cleaned_data["message"],
                needs_interpreter=form.cleaned_data["needs_interpreter"],
                languages=form.cleaned_data["languages"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Your request was sent to %(name)s.") % {"name": other})
            return redirect("matching:request", pk=created.pk)
    slots = services.common_slots(event, me, other) if event.matching_is_open() else []
    return render(
        request,
        "matching/new_request.html",
        {
            "event": event,
            "other": other,
            "form": form,
            "days": _by_day(slots),
            "open_count": services.open_requests_sent(me),
            "chosen": set(request.POST.getlist("slots")),
            "limit": services.MAX_PROPOSED_SLOTS,
        },
    )


@login_required
def request_list(request: HttpRequest, box: str = "inbox") -> HttpResponse:
    me = _require_company(request)
    services.expire_stale(services.requests_for(me, box).filter(state=RequestState.PENDING))
    items = services.requests_for(me, box)
    state = request.GET.get("state", "")
    if state in RequestState.values:
        items = items.filter(state=state)
    return render(
        request,
        "matching/request_list.html",
        {
            "box": box,
            "items": items[:200],
            "state": state,
            "states": RequestState.choices,
            "me": me,
        },
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = services.visible_request(request.user, pk)
    except MeetingRequest.DoesNotExist as error:
        raise PermissionDenied from error
    services.expire_stale([item])
    item.refresh_from_db()
    my_turn = item.state == RequestState.PENDING and (
        request.user.company_id == item.awaiting_id or request.user.is_organizer
    )
    me_id = request.user.company_id or item.to_company_id
    other = item.from_company if me_id == item.to_company_id else item.to_company
    alternatives = []
    if my_turn and item.event.matching_is_open():
        current = {s.starts_at for s in services.current_slots(item)}
        alternatives = [
            s
            for s in services.common_slots(item.event, item.from_company, item.to_company)
            if s not in current
        ]
    return render(
        request,
        "matching/request_detail.html",
        {
            "item": item,
            "other": other,
            "my_turn": my_turn,
            "current": services.current_slots(item),
            "history": item.slots.filter(is_current=False).select_related("proposed_by"),
            "alternative_days": _by_day(alternatives),
            "limit": services.MAX_PROPOSED_SLOTS,
            "can_cancel": item.state == RequestState.PENDING
            and request.user.company_id == item.from_company_id,
            "meeting": getattr(item, "meeting", None),
            "messages_thread": services.thread(request=item),
            "can_write": item.state == RequestState.PENDING,
        },
    )


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:  # noqa: ANN001
    try:
        item = services.visible_request(request.user, pk)
    except MeetingRequest.DoesNotExist as error:
        raise PermissionDenied from error
    try:
        result = action(item)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("matching:request", pk=pk)
    if hasattr(result, "starts_at"):  # a meeting was booked
        messages.success(request, _("The meeting is scheduled."))
        return redirect("meetings:detail", pk=result.pk)
    return redirect("matching:request", pk=pk)


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    def action(item: MeetingRequest):
        slots = _parse_slots(request.POST.getlist("slot")[:1])
        if not slots:
            raise ValidationError(_("Choose one of the proposed times."))
        return services.accept(item, slots[0], by=request.user)

    return _act(request, pk, action)


@login_required
@require_POST
def accept_unscheduled(request: HttpRequest, pk: int) -> HttpResponse:
    def action(item: MeetingRequest) -> MeetingRequest:
        result = services.accept_unscheduled(item, by=request.user)
        messages.success(request, _("Accepted. The organizer will schedule the meeting."))
        return result

    return _act(request, pk, action)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    def action(item: MeetingRequest) -> MeetingRequest:
        result = services.propose(
            item, _parse_slots(request.POST.getlist("slots")), by=request.user
        )
        messages.success(request, _("Your proposal was sent."))
        return result

    return _act(request, pk, action)


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    def action(item: MeetingRequest) -> MeetingRequest:
        result = services.decline(item, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("The request was declined."))
        return result

    return _act(request, pk, action)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def action(item: MeetingRequest) -> MeetingRequest:
        result = services.cancel(item, by=request.user)
        messages.success(request, _("The request was withdrawn."))
        return result

    return _act(request, pk, action)


@login_required
def availability(request: HttpRequest) -> HttpResponse:
    """Tick the slots you can meet in, shown on your own clock."""
    event = _event_or_404(request)
    company = request.user.company
    owner = {"company": company} if company is not None else {"user": request.user}
    if company is None and request.user.role != "interpreter":
        raise PermissionDenied(_("Only companies and interpreters have meeting availability."))
    if request.method == "POST":
        try:
            services.set_availability(
                event, _parse_slots(request.POST.getlist("slots")), by=request.user, **owner
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your availability was saved."))
            return redirect("matching:availability")
    now = timezone.now()
    grid = [s for s in services.slot_starts(event) if s >= now]
    available = set(services.available_slots(event, include_booked=True, now=now, **owner))
    tz_name = company.timezone if company is not None else request.user.timezone
    with timezone.override(ZoneInfo(tz_name)):
        days = _by_day(grid)
    return render(
        request,
        "matching/availability.html",
        {
            "event": event,
            "days": days,
            "available": available,
            "tz_name": tz_name,
            "has_own": services._windows(**owner) != [],
        },
    )


class EventMatchingForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["slot_minutes", "max_open_requests", "min_notice_minutes", "matching_ends_at"]


MeetingDayFormSet = inlineformset_factory(
    Event, MeetingDay, fields=["date", "starts", "ends"], extra=3, can_delete=True
)


@login_required
def organizer_settings(request: HttpRequest) -> HttpResponse:
    if not request.user.is_organizer:
        raise PermissionDenied(_("Only organizers can see this page."))
    event = _event_or_404(request)
    form = EventMatchingForm(request.POST or None, instance=event)
    days = MeetingDayFormSet(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid() and days.is_valid():
        form.save()
        days.save()
        messages.success(request, _("The matching settings were saved."))
        return redirect("matching:settings")
    return render(request, "matching/settings.html", {"form": form, "days": days, "event": event})


@login_required
@require_POST
def mark(request: HttpRequest, company_pk: int) -> HttpResponse:
    target = get_object_or_404(Company, pk=company_pk)
    if not request.user.has_perm("companies.view_company", target):
        raise PermissionDenied
    try:
        services.set_mark(target, request.POST.get("value", ""), by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("accounts:dashboard")


@login_required
def recommendations(request: HttpRequest) -> HttpResponse:
    """Counterparts this company should meet, with the reasons and one-click actions."""
    from bizweek.recommend import services as recommend

    company = _require_company(request)
    items = recommend.recommend(company, limit=30, language=request.LANGUAGE_CODE)
    marks = dict(
        company.marks_given.filter(target__in=[item.company for item in items]).values_list(
            "target_id", "value"
        )
    )
    return render(
        request,
        "matching/recommendations.html",
        {"items": [(item, marks.get(item.company.pk, "")) for item in items], "me": company},
    )


# --- messages and moving a meeting -----------------------------------------------------------


def _visible_meeting(request: HttpRequest, pk: int):
    from django.http import Http404

    from bizweek.meetings import services as meeting_services

    try:
        return meeting_services.visible_meeting(request.user, pk)
    except ObjectDoesNotExist as error:
        raise Http404 from error


def _meeting_page(meeting, anchor: str = "") -> HttpResponse:  # noqa: ANN001
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + anchor)


@login_required
@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = services.visible_request(request.user, pk)
    except MeetingRequest.DoesNotExist as error:
        raise PermissionDenied from error
    try:
        services.post_message(request.POST.get("body", ""), by=request.user, request=item)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(reverse("matching:request", args=[pk]) + "#thread")


@login_required
@require_POST
def meeting_message(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    try:
        services.post_message(request.POST.get("body", ""), by=request.user, meeting=meeting)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return _meeting_page(meeting, "#thread")


@login_required
@require_POST
def propose_move(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    try:
        services.propose_move(meeting, _parse_slots(request.POST.getlist("slots")), by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Your proposal was sent. The meeting keeps its time until they accept.")
        )
    return _meeting_page(meeting, "#move")


def _move_action(request: HttpRequest, pk: int, action) -> HttpResponse:  # noqa: ANN001
    proposal = get_object_or_404(MoveProposal.objects.select_related("meeting"), pk=pk)
    meeting = _visible_meeting(request, proposal.meeting_id)
    try:
        action(proposal)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return _meeting_page(meeting, "#move")


@login_required
@require_POST
def accept_move(request: HttpRequest, pk: int) -> HttpResponse:
    def action(proposal: MoveProposal) -> None:
        slots = _parse_slots(request.POST.getlist("slot")[:1])
        if not slots:
            raise ValidationError(_("Choose one of the proposed times."))
        services.accept_move(proposal, slots[0], by=request.user)
        messages.success(request, _("The meeting was moved."))

    return _move_action(request, pk, action)


@login_required
@require_POST
def decline_move(request: HttpRequest, pk: int) -> HttpResponse:
    return _move_action(
        request, pk, lambda proposal: services.decline_move(proposal, by=request.user)
    )
