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
    extended_minutes = models.PositiveSmallIntegerField(
        _("extended by (minutes)"), default=0, help_text=_("The room stays open this much longer.")
    )
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


# --- Video rooms, attendance, outcomes and the consultation log (상담일지) -------------------


class Outcome(models.TextChoices):
    """What became of a meeting once its slot was over (blank until decided)."""

    HELD = "held", _("Held")
    PARTIAL = "partial", _("Partly held")
    NO_SHOW_SELLER = "no_show_seller", _("No-show: seller")
    NO_SHOW_BUYER = "no_show_buyer", _("No-show: buyer")
    NO_SHOW_BOTH = "no_show_both", _("No-show: both sides")
    DID_NOT_HAPPEN = "did_not_happen", _("It didn't happen")


# Outcomes of a meeting that did not take place: the pair may ask for another time.
NOT_HAPPENED = (
    Outcome.NO_SHOW_SELLER,
    Outcome.NO_SHOW_BUYER,
    Outcome.NO_SHOW_BOTH,
    Outcome.DID_NOT_HAPPEN,
)


class RoomRole(models.TextChoices):
    """The part a person plays in a meeting room."""

    SELLER = "seller", _("Seller")
    BUYER = "buyer", _("Buyer")
    INTERPRETER = "interpreter", _("Interpreter")
    OBSERVER = "observer", _("Observer")


class MeetingOutcome(models.Model):
    """The meeting's outcome, decided from attendance after the slot or reported by a side.

    Kept apart from Meeting so scheduling code never writes over it (and the reverse)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="outcome")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    together_seconds = models.PositiveIntegerField(
        _("time both companies were in the room (s)"), default=0
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text='Set when a person reported it ("it didn\'t happen"); empty when decided '
        "from attendance.",
    )
    note = models.TextField(_("note"), blank=True)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting outcome")
        verbose_name_plural = _("meeting outcomes")
        indexes = [models.Index(fields=["outcome"])]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.outcome}"


class Attendance(models.Model):
    """One stay of one person in a meeting room: a WebSocket connect and its disconnect.

    A reload or a network drop gives a new row; outcomes add the intervals up."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_attendances"
    )
    role = models.CharField(max_length=12, choices=RoomRole.choices)
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel_name = models.CharField(max_length=200, blank=True)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        indexes = [models.Index(fields=["meeting", "joined_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.meeting_id} from {self.joined_at:%H:%M:%S}"


class MeetingPolicy(models.Model):
    """An event's rules for rooms and logs; an event without a row uses the defaults."""

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, related_name="meeting_policy"
    )
    room_opens_minutes = models.PositiveSmallIntegerField(
        _("room opens (minutes before the slot)"), default=5
    )
    held_minutes = models.PositiveSmallIntegerField(
        _("minimum time together to count as held (minutes)"), default=5
    )
    extension_minutes = models.PositiveSmallIntegerField(_("extension (minutes)"), default=5)
    report_deadline = models.DateTimeField(
        _("consultation logs editable until"),
        null=True,
        blank=True,
        help_text=_("Empty: until business matching ends."),
    )

    class Meta:
        verbose_name = _("meeting rules")
        verbose_name_plural = _("meeting rules")

    def __str__(self) -> str:
        return f"rules of {self.event_id}"


class LogCurrency(models.TextChoices):
    USD = "USD", "USD"
    KRW = "KRW", "KRW"
    CNY = "CNY", "CNY"


class ExchangeRate(models.Model):
    """USD per one unit of a currency, set by organizers for an event (USD itself is 1)."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="exchange_rates"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=LogCurrency.choices)
    usd_per_unit = models.DecimalField(_("USD per unit"), max_digits=20, decimal_places=10)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["event", "currency"], name="one_rate_per_currency")
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.usd_per_unit} USD"


class Interest(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("None")


class NextStep(models.TextChoices):
    SAMPLE = "sample", _("Sample shipment")
    SECOND_MEETING = "second_meeting", _("Second meeting")
    MOU = "mou", _("MOU")
    NONE = "none", _("None")


def _amount(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=18, decimal_places=2, null=True, blank=True)


def _currency() -> models.CharField:
    return models.CharField(
        _("currency"), max_length=3, choices=LogCurrency.choices, default=LogCurrency.USD
    )


def _usd(label: str) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=18, decimal_places=2, null=True, blank=True, editable=False
    )


class ConsultationLog(models.Model):
    """상담일지: one company's account of one meeting, filed by a member or by the interpreter
    on the company's behalf.

    Each amount keeps what was typed (amount + currency) and its USD value at the event's
    rate when filed, so totals are plain SQL sums of the *_usd columns. The *_confirmed
    flags are set on both logs of a meeting when the two sides agree on that figure
    (services.refresh_confirmation); a confirmed total counts the seller's log only.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="logs")
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="consultation_logs"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_interpreter = models.BooleanField(_("filed by the interpreter"), default=False)
    held = models.BooleanField(_("the consultation took place"), default=True)
    products = models.ManyToManyField(
        "expo.Product", blank=True, related_name="consultation_logs", verbose_name=_("products")
    )
    interest = models.CharField(
        _("interest level"), max_length=10, choices=Interest.choices, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    unit_price = _amount(_("unit price"))
    unit_price_currency = _currency()
    unit_price_usd = _usd(_("unit price (USD)"))
    consultation_amount = _amount(_("consultation amount"))
    consultation_currency = _currency()
    consultation_usd = _usd(_("consultation amount (USD)"))
    expected_contract_amount = _amount(_("expected contract amount"))
    expected_contract_currency = _currency()
    expected_contract_usd = _usd(_("expected contract amount (USD)"))
    signed_contract_amount = _amount(_("signed contract amount"))
    signed_contract_currency = _currency()
    signed_contract_usd = _usd(_("signed contract amount (USD)"))
    mou_signed = models.BooleanField(_("MOU signed"), default=False)
    next_step = models.CharField(
        _("next step"), max_length=20, choices=NextStep.choices, default=NextStep.NONE
    )
    note = models.TextField(_("note"), blank=True, max_length=4000)
    consultation_confirmed = models.BooleanField(default=False, editable=False)
    expected_contract_confirmed = models.BooleanField(default=False, editable=False)
    signed_contract_confirmed = models.BooleanField(default=False, editable=False)
    mou_confirmed = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consultation log")
        verbose_name_plural = _("consultation logs")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "company"], name="one_log_per_side")
        ]

    def __str__(self) -> str:
        return f"log of {self.company_id} for meeting {self.meeting_id}"


class ChatMessage(models.Model):
    """A text message in a meeting room, kept for the participants afterwards."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class ConnectionCheck(models.Model):
    """A participant's result on /meetings/check/ (camera, microphone, relay through TURN)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connection_checks"
    )
    camera = models.BooleanField(default=False)
    microphone = models.BooleanField(default=False)
    relay = models.BooleanField(default=False)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"check of {self.user_id} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def passed(self) -> bool:
        return self.camera and self.microphone and self.relay


class SharedFile(models.Model):
    """A PDF or picture shared in a meeting room (checked like booth uploads)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="meetings/")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # "pdf" or "image"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
