"""What the two sides say to each other: a message thread on a request or meeting, and
proposals to move an accepted meeting to another time.

Kept apart from models.py (imported there) so these models can grow without touching the
request and scheduler models. Foreign keys are by name, so this module imports no models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One message in the thread of a request (before a meeting exists) or of a meeting."""

    request = models.ForeignKey(
        "matching.MeetingRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(request__isnull=False) | models.Q(meeting__isnull=False),
                name="message_has_a_thread",
            )
        ]

    def __str__(self) -> str:
        return self.body[:50]


class MoveState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MoveProposal(models.Model):
    """One side asks to move an accepted meeting; the other picks one of the times or says no."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="move_proposals"
    )
    proposed_by = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    times = models.JSONField(default=list, help_text="Proposed start times, UTC ISO 8601.")
    state = models.CharField(
        max_length=10, choices=MoveState.choices, default=MoveState.PENDING, db_index=True
    )
    old_starts_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(state="pending"),
                name="one_open_move_per_meeting",
            )
        ]

    def __str__(self) -> str:
        return f"move {self.meeting_id} ({self.state})"
