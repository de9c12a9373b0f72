"""What exhibitors show: products (booths, media and visits join them with the hall issue)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bizweek.chinese import ChineseVariantsMixin

CURRENCIES = [
    ("USD", "USD"),
    ("KRW", "KRW"),
    ("CNY", "CNY"),
    ("EUR", "EUR"),
    ("JPY", "JPY"),
    ("THB", "THB"),
    ("MYR", "MYR"),
    ("SGD", "SGD"),
    ("HKD", "HKD"),
    ("TWD", "TWD"),
    ("VND", "VND"),
]


class Product(ChineseVariantsMixin, models.Model):
    chinese_fields = ("name", "description")

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="products"
    )
    external_id = models.CharField(_("external ID"), max_length=64, blank=True)
    name = models.CharField(_("product name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    hs_code = models.ForeignKey(
        "companies.HSCode",
        verbose_name=_("HS code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    moq = models.PositiveIntegerField(_("minimum order quantity"), null=True, blank=True)
    price_min = models.DecimalField(
        _("lowest price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_max = models.DecimalField(
        _("highest price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="USD")
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(
        _("published"), default=True, help_text=_("Drafts are shown only in the preview.")
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["company", "position", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~models.Q(external_id=""),
                name="product_external_id_unique_per_company",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValidationError(
                {"price_max": _("The highest price must not be below the lowest price.")}
            )


class Booth(models.Model):
    """A company's stand in the cyber exhibition hall: its look, video and publication state."""

    company = models.OneToOneField(
        "companies.Company", on_delete=models.CASCADE, related_name="booth"
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    banner = models.ImageField(_("banner"), upload_to="banners/", blank=True)
    video = models.FileField(_("promotional video"), upload_to="videos/", blank=True)
    is_published = models.BooleanField(
        _("published"),
        default=True,
        help_text=_("Unpublished booths are visible only to the company and organizers."),
    )
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Featured booths come first in their hall.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booth")
        verbose_name_plural = _("booths")

    def __str__(self) -> str:
        return str(self.company)


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="products/")
    thumbnail = models.ImageField(upload_to="products/thumbs/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")

    def __str__(self) -> str:
        return self.image.name


class Brochure(models.Model):
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="brochures"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("PDF file"), upload_to="brochures/")
    pages = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("brochure")
        verbose_name_plural = _("brochures")

    def __str__(self) -> str:
        return self.title


class BoothVisit(models.Model):
    """One visitor's visit to a booth on one day (reloads count once)."""

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="booth_visits"
    )
    day = models.DateField()
    visitor_key = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    country = models.CharField(max_length=2, blank=True)
    role = models.CharField(max_length=20, blank=True)
    views = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booth visit")
        verbose_name_plural = _("booth visits")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "day", "visitor_key"], name="one_visit_per_visitor_per_day"
            )
        ]
        indexes = [models.Index(fields=["company", "day"])]

    def __str__(self) -> str:
        return f"{self.company_id} {self.day} {self.visitor_key[:8]}"


class SearchDocument(models.Model):
    """A company's searchable text, pre-tokenised (see expo/search.py).

    The database indexes it: an FTS5 table on SQLite, a weighted tsvector with a GIN index on
    PostgreSQL (migration 0003).
    """

    company = models.OneToOneField(
        "companies.Company", on_delete=models.CASCADE, related_name="search_document"
    )
    names = models.TextField(blank=True)
    products = models.TextField(blank=True)
    taxonomy = models.TextField(blank=True)
    body = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"search document of {self.company_id}"
