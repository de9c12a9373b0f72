"""A draft being computed in the background: its progress, and the organizer's stop request.

The finished draft itself is a `matching.ScheduleRun` (kept where it was when the scheduler
moved into this app); this model only follows one solve from queued to done.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    STOPPED = "stopped", _("Stopped, best so far kept")
    FAILED = "failed", _("Failed")


class DraftJob(models.Model):
    """One "Draft a schedule" request, solved by a background worker."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    day = models.ForeignKey("matching.MeetingDay", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tables = models.PositiveIntegerField(_("meetings at once (rooms)"))
    time_limit = models.FloatField(_("time limit (seconds)"))
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    stop_requested = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    placed = models.PositiveIntegerField(default=0)
    breaks = models.PositiveIntegerField(null=True, blank=True)
    greedy_breaks = models.PositiveIntegerField(null=True, blank=True)
    over_cap = models.PositiveIntegerField(null=True, blank=True)
    bound = models.PositiveIntegerField(null=True, blank=True)
    time_left = models.FloatField(default=0)
    error = models.TextField(blank=True)
    run = models.ForeignKey(
        "matching.ScheduleRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("schedule draft job")
        verbose_name_plural = _("schedule draft jobs")

    def __str__(self) -> str:
        return f"{self.day} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.STOPPED, JobState.FAILED)
