"""Meeting days, availability and meeting requests between a buyer and a seller."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .talk import Message, MoveProposal, MoveState  # noqa: F401  (models kept in talk.py)


class MeetingDay(models.Model):
    """A day on which meetings can be booked, with its hours in the event's time zone."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="meeting_days")
    date = models.DateField(_("date"))
    starts = models.TimeField(_("first meeting"), default="08:00")
    ends = models.TimeField(_("end of the last meeting"), default="22:00")

    class Meta:
        ordering = ["date"]
        verbose_name = _("meeting day")
        verbose_name_plural = _("meeting days")
        constraints = [
            models.UniqueConstraint(fields=["event", "date"], name="one_meeting_day_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Availability(models.Model):
    """A window in which a company (or an interpreter) can meet; stored as UTC instants."""

    company = models.ForeignKey(
        "companies.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="availability",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="availability",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) ^ Q(user__isnull=False),
                name="availability_has_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="availability_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted (scheduled)")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class MeetingRequest(models.Model):
    """One company asks another for a meeting; the two go back and forth on times.

    `awaiting` is the company whose answer is due. `pair_low`/`pair_high` (the two company
    ids in order) let the database refuse a second open request for the same pair.
    """

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="requests")
    from_company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="requests_sent"
    )
    to_company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="requests_received"
    )
    awaiting = models.ForeignKey(
        "companies.Company", null=True, on_delete=models.CASCADE, related_name="+"
    )
    pair_low = models.PositiveBigIntegerField(editable=False)
    pair_high = models.PositiveBigIntegerField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(_("message"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    languages = models.CharField(
        _("interpretation"), max_length=20, blank=True, help_text=_("e.g. ko-zh, ko-en")
    )
    decline_reason = models.TextField(_("reason"), blank=True)
    organizer_schedules = models.BooleanField(
        _("the organizer picks the time"),
        default=False,
        help_text=_("Accepted without a time; the organizer's scheduler places the meeting."),
    )
    source = models.CharField(
        _("source"),
        max_length=40,
        blank=True,
        help_text=_("Where the request was made, e.g. studio:12 for a live PR show."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")
        constraints = [
            models.UniqueConstraint(
                fields=["pair_low", "pair_high"],
                condition=Q(state="pending"),
                name="one_open_request_per_pair",
            )
        ]
        indexes = [
            models.Index(fields=["from_company", "state"]),
            models.Index(fields=["to_company", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_company} → {self.to_company} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        self.pair_low = min(self.from_company_id, self.to_company_id)
        self.pair_high = max(self.from_company_id, self.to_company_id)
        super().save(*args, **kwargs)

    def other(self, company_id: int) -> int:
        return self.to_company_id if company_id == self.from_company_id else self.from_company_id


class ProposedSlot(models.Model):
    request = models.ForeignKey(MeetingRequest, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    proposed_by = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    is_current = models.BooleanField(
        default=True, help_text="Slots of an earlier round are kept for the history."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "starts_at", "proposed_by"], name="slot_proposed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} UTC"


class MarkValue(models.TextChoices):
    MUST_MEET = "must", _("Must meet")
    MEET = "meet", _("Meet")
    NO_THANKS = "no", _("No thanks")


class Mark(models.Model):
    """A company's verdict on a counterpart; recommendations and the scheduler read it."""

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="marks_given"
    )
    target = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="marks_received"
    )
    value = models.CharField(_("mark"), max_length=4, choices=MarkValue.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(fields=["company", "target"], name="one_mark_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.company_id} → {self.target_id}: {self.value}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


class ScheduleRun(models.Model):
    """One run of the auto-scheduler over a meeting day: a draft until the organizer publishes."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="schedule_runs"
    )
    day = models.ForeignKey(MeetingDay, on_delete=models.CASCADE, related_name="schedule_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.DRAFT)
    tables = models.PositiveIntegerField(_("meetings at once (rooms)"))
    time_limit = models.FloatField(_("time limit (seconds)"), default=30)
    seconds = models.FloatField(default=0)
    breaks = models.PositiveIntegerField(default=0)
    optimal = models.BooleanField(default=False)
    solver_status = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("scheduler run")
        verbose_name_plural = _("scheduler runs")

    def __str__(self) -> str:
        return f"{self.day} ({self.status})"


# Why the auto-scheduler left a meeting out, by code: stored as a code with its parameters and
# translated when shown, so each organizer reads it in their own language.
UNPLACED_REASONS = {
    "no_free_slot": _("%(name)s has no free slot left on this day."),
    "no_common_slot": _("No slot of this day is free for both companies."),
    "no_interpreter": _("No interpreter is free in the slots both companies have free."),
    "slots_full": _(
        "The slots both companies have free are full (rooms, interpreters or their other meetings)."
    ),
    "too_soon": _(
        "Left unpublished: at publication it started sooner than the event's minimum notice "
        "(%(minutes)d minutes)."
    ),
}


class DraftMeeting(models.Model):
    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="drafts")
    seller = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        MeetingRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # drafts made before reason codes: text as stored
    reason_code = models.CharField(max_length=40, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    needs_interpreter = models.BooleanField(default=False)
    languages = models.CharField(max_length=20, blank=True)
    published_meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.seller_id} × {self.buyer_id} @ {self.starts_at}"

    @property
    def reason_text(self) -> str:
        """Why it was not placed, in the reader's language (old rows keep their stored text)."""
        message = UNPLACED_REASONS.get(self.reason_code)
        if message is None:
            return self.reason
        params = dict(self.reason_params or {})
        if params.get("side") in ("seller", "buyer"):  # the company's name in the reader's language
            params["name"] = str(getattr(self, params["side"]))
        try:
            return str(message) % params
        except (KeyError, TypeError, ValueError):  # parameters of an older format
            return self.reason or str(message)
