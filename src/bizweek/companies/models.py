"""Companies that take part in the business week, and the two taxonomies they are filed under."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bizweek.chinese import ChineseVariantsMixin
from bizweek.countries import validate_country
from bizweek.timezones import validate_timezone


class Sector(ChineseVariantsMixin, models.Model):
    """A coarse industry axis (hydrogen, ICT, cosmetics…); halls are built from it."""

    chinese_fields = ("name",)

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    hs_chapters = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name or self.code


hs_code_validator = RegexValidator(
    r"^(\d{2}|\d{4}|\d{6})$", _("An HS code has 2, 4 or 6 digits."), code="invalid_hs"
)


class HSCode(ChineseVariantsMixin, models.Model):
    """A Harmonized System chapter (2 digits), heading (4) or subheading (6).

    The codes are language-neutral, so they bridge a query in one language to a product
    described in another.
    """

    chinese_fields = ("name",)

    code = models.CharField(
        _("HS code"), max_length=6, primary_key=True, validators=[hs_code_validator]
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(_("name"), max_length=300)
    # The WCO's own English wording (HS 2022): the bridge from everyday English to the code.
    description = models.CharField(_("official description"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("HS code")
        verbose_name_plural = _("HS codes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level(self) -> int:
        return len(self.code)

    @property
    def chapter(self) -> str:
        return self.code[:2]


class CompanyRole(models.TextChoices):
    SELLER = "seller", _("Seller (exhibitor)")
    BUYER = "buyer", _("Buyer")


class CompanyStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250+", _("250 or more employees")


class CompanyQuerySet(models.QuerySet):
    def approved(self) -> CompanyQuerySet:
        return self.filter(status=CompanyStatus.APPROVED)

    def sellers(self) -> CompanyQuerySet:
        return self.filter(role=CompanyRole.SELLER)

    def buyers(self) -> CompanyQuerySet:
        return self.filter(role=CompanyRole.BUYER)


class Company(ChineseVariantsMixin, models.Model):
    chinese_fields = ("name", "description")

    role = models.CharField(_("role"), max_length=10, choices=CompanyRole.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CompanyStatus.choices,
        default=CompanyStatus.PENDING,
        db_index=True,
    )
    external_id = models.CharField(
        _("external ID"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The organizer's own identifier; spreadsheet imports match on it."),
    )
    name = models.CharField(_("company name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    city = models.CharField(_("city"), max_length=100, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    sectors = models.ManyToManyField(Sector, verbose_name=_("sectors"), blank=True)
    hs_codes = models.ManyToManyField(
        HSCode,
        verbose_name=_("HS codes"),
        blank=True,
        help_text=_("What a seller sells, or what a buyer wants to buy."),
    )
    company_size = models.CharField(
        _("company size"), max_length=10, choices=CompanySize.choices, blank=True
    )
    markets = models.JSONField(
        _("markets"), default=list, blank=True, help_text=_("Countries the company sells into.")
    )
    website = models.URLField(_("website"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["role", "status", "country"])]

    def __str__(self) -> str:
        return self.name or self.external_id or f"#{self.pk}"

    @property
    def is_approved(self) -> bool:
        return self.status == CompanyStatus.APPROVED

    @property
    def is_seller(self) -> bool:
        return self.role == CompanyRole.SELLER


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    READING = "reading", _("Reading the file")
    CHECKING = "checking", _("Checking rows")
    WRITING = "writing", _("Writing rows")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One spreadsheet uploaded on the organizer's import page, imported by a background worker.

    A 20,000-row file takes tens of seconds: in a request it held an HTTP thread and, on SQLite,
    the write lock (issue 14). The report is kept as JSON in the requester's language.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, default="companies")
    file_name = models.CharField(max_length=255)  # as uploaded, for the page and the audit log
    stored_name = models.CharField(max_length=100, blank=True)  # under DATA_DIR/imports/
    task_id = models.CharField(max_length=64, blank=True)  # the queued django-tasks result
    dry_run = models.BooleanField(default=False)
    invite = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default="en")
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
