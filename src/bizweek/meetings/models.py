"""Scheduled meetings, and the bookings that keep anyone from being in two at once."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


def _room_token() -> str:
    return secrets.token_urlsafe(16)


class Meeting(models.Model):
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="meetings")
    request = models.OneToOneField(
        "matching.MeetingRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting",
    )
    seller = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="meetings_as_seller"
    )
    buyer = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="meetings_as_buyer"
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    state = models.CharField(
        _("state"), max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    languages = models.CharField(_("interpretation"), max_length=20, blank=True)
    interpreter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interpreted_meetings",
        verbose_name=_("interpreter"),
    )
    room_token = models.CharField(max_length=32, default=_room_token, editable=False)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE")
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    reminded_15m_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.seller} × {self.buyer} @ {self.starts_at:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    """One participant's slot. The unique constraint is what forbids double booking: two
    transactions booking the same company (or interpreter) into the same slot cannot both
    commit, on SQLite or PostgreSQL."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="bookings")
    participant = models.CharField(max_length=32)  # "company:<id>" or "user:<id>"
    starts_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "starts_at"], name="one_meeting_per_participant_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.starts_at:%Y-%m-%d %H:%M}"


def company_key(company_id: int) -> str:
    return f"company:{company_id}"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"
