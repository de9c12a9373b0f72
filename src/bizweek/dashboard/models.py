"""The reminder ("nudge") switch an organizer controls, and when each person was last nudged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NudgeKind(models.TextChoices):
    NO_MEETING = "no_meeting", _("No meeting booked")
    UNFILED_LOG = "unfiled_log", _("Consultation log not filed")


class NudgeSettings(models.Model):
    """One row per event; without a row, nudges are on."""

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, related_name="nudge_settings"
    )
    enabled = models.BooleanField(_("send reminders"), default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return f"{self.event_id}: {'on' if self.enabled else 'off'}"


class Nudge(models.Model):
    """A reminder sent; the last one per person and kind keeps the next at least two days off."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NudgeKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "kind", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.sent_at:%Y-%m-%d}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    """A long export (every meeting) built by a background job, downloaded when ready.

    The file lives outside the public media folder and is served only through a view that
    checks the permission again."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, default="meetings")
    fmt = models.CharField(max_length=4, default="xlsx")
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file_name = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.fmt} ({self.status})"


class FiguresVersion(models.Model):
    """One row whose counters the database's own triggers raise on every write to the tables
    the figures read (migration 0003), whatever wrote it: a save, `update()`, `bulk_create`,
    an import in another process. Cached figures are keyed by these counters
    (`dashboard/cache.py`), so a change shows at the next view. `token` is drawn anew when the
    row is created, so counters that start again (a flushed or rebuilt database) never meet
    old cache entries."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)
    companies = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)
    meetings = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.token}: {self.companies}/{self.visits}/{self.meetings}"


class MeetingFigures(models.Model):
    """One meeting's share of the consultation figures, kept by the database's own triggers
    (migration 0004) in the same statement as every write to the meeting, its outcome, its
    two logs or the buyer's country.

    Summing these narrow rows replaces joining every meeting to its outcome, both its logs and
    its buyer on each computation (a third of the time at 50,000 meetings), and the amounts
    are whole cents, so their sums are exact on SQLite too. `meeting` is not a database foreign
    key: the triggers delete the row with the meeting. Never written by Django code."""

    meeting = models.OneToOneField(
        "meetings.Meeting",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    event_id = models.BigIntegerField()
    starts_at = models.DateTimeField()
    state = models.CharField(max_length=10)
    seller_id = models.BigIntegerField()
    buyer_id = models.BigIntegerField()
    buyer_country = models.CharField(max_length=2, blank=True)
    interpreted = models.SmallIntegerField()
    held = models.SmallIntegerField()
    no_show = models.SmallIntegerField()
    decided = models.SmallIntegerField()
    logged = models.SmallIntegerField()
    both_logged = models.SmallIntegerField()
    mou_confirmed = models.SmallIntegerField()
    mou_one_sided = models.SmallIntegerField()
    consultation_confirmed = models.BigIntegerField()
    consultation_one_sided = models.BigIntegerField()
    expected_contract_confirmed = models.BigIntegerField()
    expected_contract_one_sided = models.BigIntegerField()
    signed_contract_confirmed = models.BigIntegerField()
    signed_contract_one_sided = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["starts_at"], name="meetingfigures_starts"),
            models.Index(fields=["seller_id"], name="meetingfigures_seller"),
            models.Index(fields=["buyer_id"], name="meetingfigures_buyer"),
        ]

    def __str__(self) -> str:
        return f"figures of meeting {self.meeting_id}"
