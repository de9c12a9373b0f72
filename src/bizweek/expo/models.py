"""What exhibitors show: products (booths, media and visits join them with the hall issue)."""

from __future__ import annotations

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
