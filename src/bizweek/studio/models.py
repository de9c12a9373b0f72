"""The Oasis live PR studio: broadcast sessions, their rundowns, chat, pins and viewers."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bizweek.chinese import ChineseVariantsMixin


def new_stream_key() -> str:
    return secrets.token_urlsafe(24)


class Category(models.TextChoices):
    CONSUMER_GOODS = "consumer_goods", _("Consumer goods")
    ICT = "ict", _("ICT")
    STARTUPS = "startups", _("Startups")
    HYDROGEN = "hydrogen", _("Hydrogen and energy")
    FOOD = "food", _("Food")
    BEAUTY = "beauty", _("Cosmetics and beauty")
    MACHINERY = "machinery", _("Machinery")
    HEALTH = "health", _("Bio and health")
    CEREMONY = "ceremony", _("Ceremony")
    OTHER = "other", _("Other")


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")  # by an organizer, before it went live


class BroadcastSession(ChineseVariantsMixin, models.Model):
    """One show. The event's agenda gets a row kept in step with it (signals.py)."""

    chinese_fields = ("title", "description")

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="broadcasts")
    agenda_item = models.OneToOneField(
        "events.AgendaItem",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="broadcast",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_broadcasts",
    )
    stream_key = models.CharField(max_length=64, default=new_stream_key, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=SessionState.choices, default=SessionState.SCHEDULED
    )
    went_live_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    slow_mode_seconds = models.PositiveSmallIntegerField(_("slow mode (seconds)"), default=0)
    announcement = models.CharField(_("pinned announcement"), max_length=300, blank=True)
    current_item = models.ForeignKey(
        "RundownItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_product = models.ForeignKey(
        "expo.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("broadcast session")
        verbose_name_plural = _("broadcast sessions")

    def __str__(self) -> str:
        return self.title

    @property
    def is_ceremony(self) -> bool:
        return self.category == Category.CEREMONY

    @property
    def is_live(self) -> bool:
        return self.state == SessionState.LIVE

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED


class RundownItem(models.Model):
    """A featured company in a show, in order, with the products to present."""

    session = models.ForeignKey(BroadcastSession, on_delete=models.CASCADE, related_name="rundown")
    position = models.PositiveSmallIntegerField(default=0)
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="rundown_items"
    )
    products = models.ManyToManyField("expo.Product", blank=True, related_name="rundown_items")
    planned_minutes = models.PositiveSmallIntegerField(_("planned minutes"), default=5)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "position", "pk"]
        verbose_name = _("rundown item")
        verbose_name_plural = _("rundown items")

    def __str__(self) -> str:
        return f"{self.position}. {self.company}"


class ChatMessage(models.Model):
    session = models.ForeignKey(
        BroadcastSession, on_delete=models.CASCADE, related_name="chat_messages"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who said it, as shown then: kept so the replay and figures need no joins.
    sender_name = models.CharField(max_length=150)
    company_name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    text = models.CharField(max_length=500)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["session", "user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.sender_name}: {self.text[:40]}"


class Pin(models.Model):
    """A product card shown to every viewer; the replay shows it again at the same time."""

    session = models.ForeignKey(BroadcastSession, on_delete=models.CASCADE, related_name="pins")
    product = models.ForeignKey("expo.Product", on_delete=models.CASCADE, related_name="+")
    rundown_item = models.ForeignKey(
        RundownItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="pins"
    )
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pinned_at", "pk"]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.pinned_at:%H:%M:%S}"


class Restriction(models.Model):
    """A user muted (may watch, not chat) or banned (may not even watch) for one session."""

    class Kind(models.TextChoices):
        MUTE = "mute", _("Muted")
        BAN = "ban", _("Banned")

    session = models.ForeignKey(
        BroadcastSession, on_delete=models.CASCADE, related_name="restrictions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_restriction_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class ViewerConnection(models.Model):
    """One open (or closed) viewer WebSocket: presence and unique viewers are counted here."""

    session = models.ForeignKey(
        BroadcastSession, on_delete=models.CASCADE, related_name="connections"
    )
    viewer_key = models.CharField(max_length=64)  # "u<id>" or "a<session key>"
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "disconnected_at"])]

    def __str__(self) -> str:
        return self.viewer_key


class ViewerSample(models.Model):
    """Concurrent viewers at a moment (written at most once a second per session)."""

    session = models.ForeignKey(BroadcastSession, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField(auto_now_add=True)
    viewers = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.viewers}"


class StudioLead(models.Model):
    """A consultation request made from a show: which show, rundown item and product led to it."""

    session = models.ForeignKey(BroadcastSession, on_delete=models.CASCADE, related_name="leads")
    rundown_item = models.ForeignKey(
        RundownItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    product = models.ForeignKey(
        "expo.Product", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    request = models.OneToOneField(
        "matching.MeetingRequest", on_delete=models.CASCADE, related_name="studio_lead"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.company_id} ← request {self.request_id}"


def validate_rtmp_url(value: str) -> None:
    """An rtmp(s):// URL with the key in it; characters ffmpeg's tee muxer treats as syntax
    (| [ ] and whitespace) are refused rather than escaped."""
    from django.core.exceptions import ValidationError

    if not value.startswith(("rtmp://", "rtmps://")):
        raise ValidationError(_("Enter an rtmp:// or rtmps:// address."))
    if any(ch in value for ch in "|[] \t\n\\'\""):
        raise ValidationError(_("The address has characters that are not allowed."))


class RestreamDestination(models.Model):
    """An extra RTMP destination (YouTube Live, Facebook Live…) fed from the same ingest."""

    session = models.ForeignKey(
        BroadcastSession, on_delete=models.CASCADE, related_name="destinations"
    )
    name = models.CharField(_("name"), max_length=60)
    url = models.CharField(_("stream URL with key"), max_length=500, validators=[validate_rtmp_url])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("restream destination")
        verbose_name_plural = _("restream destinations")

    def __str__(self) -> str:
        return self.name


class ShowReminder(models.Model):
    """A viewer who asked to be reminded before a show starts (`reminders.send_due`)."""

    session = models.ForeignKey(
        BroadcastSession, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="show_reminders"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_reminder_per_show_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → show {self.session_id}"
