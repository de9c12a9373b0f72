"""People who use Bizweek. A user has one role; company members belong to one company."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizweek.timezones import validate_timezone


class Role(models.TextChoices):
    ORGANIZER = "organizer", _("Organizer")
    EXHIBITOR = "exhibitor", _("Exhibitor")
    BUYER = "buyer", _("Buyer")
    INTERPRETER = "interpreter", _("Interpreter")
    HOST = "host", _("Show host")
    VISITOR = "visitor", _("Visitor")


class BizweekUserManager(UserManager):
    """Users log in with their e-mail address; the username mirrors it."""

    def _create_user(self, username, email, password, **extra_fields):  # noqa: ANN001
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):  # noqa: ANN001, ANN201
        extra_fields.pop("username", None)
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # noqa: ANN001, ANN201
        extra_fields.pop("username", None)
        extra_fields.setdefault("role", Role.ORGANIZER)
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VISITOR)
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_timezone], default="Asia/Seoul"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.CharField(
        _("interpreting languages"),
        max_length=40,
        blank=True,
        help_text=_("For interpreters: language pairs such as ko-zh, ko-en."),
    )
    calendar_token = models.CharField(max_length=43, blank=True, editable=False)
    # A registration whose e-mail address is not confirmed yet: the account is inactive (it
    # cannot sign in, receives nothing) until the link in the registration mail is opened.
    awaiting_confirmation = models.BooleanField(_("e-mail not confirmed yet"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = BizweekUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args, **kwargs) -> None:
        self.username = self.email
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            # A new password ends every API token: whoever knew the old one may have made one.
            self.api_tokens.all().delete()

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER or self.is_superuser


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, so a database leak reveals no token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: until revoked.")
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, name: str, *, expires_at: datetime | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with the raw secret, which is shown only once."""
        raw = "bzw_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=cls.hash(raw), prefix=raw[4:12], expires_at=expires_at
        )
        return token, raw

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
