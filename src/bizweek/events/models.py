"""The business week itself: its dates, phases, time zone and agenda."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizweek.chinese import ChineseVariantsMixin
from bizweek.timezones import validate_timezone


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Coming soon")
    REGISTRATION = "registration", _("Registration open")
    LIVE = "live", _("Live week")
    MATCHING = "matching", _("Post-event business matching")
    CLOSED = "closed", _("Closed")


class Event(ChineseVariantsMixin, models.Model):
    """One business week. A deployment shows its current event (see events.services)."""

    chinese_fields = ("name", "tagline", "description", "organizer_name")

    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    tagline = models.CharField(_("tagline"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    organizer_name = models.CharField(_("organizer"), max_length=200, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_timezone], default="Asia/Seoul"
    )
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    starts_at = models.DateTimeField(_("live week starts"))
    ends_at = models.DateTimeField(_("live week ends"))
    matching_ends_at = models.DateTimeField(_("business matching ends"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"), default=30, help_text=_("Every meeting takes one slot.")
    )
    max_open_requests = models.PositiveSmallIntegerField(
        _("open requests per company"),
        default=20,
        help_text=_("How many unanswered requests a company may have sent at once."),
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"),
        default=120,
        help_text=_(
            "Requests and the auto-scheduler offer no meeting that starts sooner than this."
        ),
    )
    allow_repeat_meetings = models.BooleanField(
        _("several meetings per pair and day"),
        default=False,
        help_text=_("Off: two companies meet at most once a day."),
    )
    is_current = models.BooleanField(
        _("current event"), default=True, help_text=_("The event the home page shows.")
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.name or self.slug

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    def phase_at(self, moment: datetime | None = None) -> Phase:
        now = moment or timezone.now()
        if self.starts_at <= now < self.ends_at:
            return Phase.LIVE
        if self.ends_at <= now < self.matching_ends_at:
            return Phase.MATCHING
        if self.registration_opens_at <= now < self.registration_closes_at:
            return Phase.REGISTRATION
        if now < self.registration_opens_at or now < self.starts_at:
            return Phase.UPCOMING
        return Phase.CLOSED

    @property
    def phase(self) -> Phase:
        return self.phase_at()

    def matching_is_open(self, moment: datetime | None = None) -> bool:
        """Requests and bookings are taken until the end of post-event matching."""
        return (moment or timezone.now()) < self.matching_ends_at

    def registration_is_open(self, moment: datetime | None = None) -> bool:
        now = moment or timezone.now()
        return self.registration_opens_at <= now < self.registration_closes_at

    def timeline(self) -> list[tuple[Phase, datetime, datetime]]:
        """The phases in order with their start and end, for the home page."""
        return [
            (Phase.REGISTRATION, self.registration_opens_at, self.registration_closes_at),
            (Phase.LIVE, self.starts_at, self.ends_at),
            (Phase.MATCHING, self.ends_at, self.matching_ends_at),
        ]


class AgendaKind(models.TextChoices):
    CEREMONY = "ceremony", _("Ceremony")
    PR_SESSION = "pr_session", _("Live PR session")
    SEMINAR = "seminar", _("Seminar")
    MATCHING = "matching", _("Business matching")
    OTHER = "other", _("Other")


class AgendaItem(ChineseVariantsMixin, models.Model):
    chinese_fields = ("title", "description")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="agenda")
    kind = models.CharField(_("kind"), max_length=20, choices=AgendaKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return self.title

    def is_on_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at
