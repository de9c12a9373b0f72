"""`bizweek import products`: a spreadsheet of sellers' products, applied whole or not at all.

A row names its company by the company's `external_id` and the product by its own
`external_id`, unique within that company; importing the same file twice updates instead of
duplicating. Every problem is reported with its row, column and reason; if there is any,
nothing is written. The affected companies are re-indexed in the same transaction, so search
finds the new products at once and a failed import leaves no trace.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bizweek.companies.importing import check_hs_codes
from bizweek.companies.models import Company, CompanyRole, HSCode
from bizweek.spreadsheets import ImportReport, Progress, RowImporter, Stage, Table

from .models import CURRENCIES, Product
from .search import index_companies

PRODUCT_COLUMNS = [
    "company_external_id",
    "external_id",
    "name_ko",
    "name_zh_hans",
    "name_en",
    "hs_code",
    "description_ko",
    "description_zh_hans",
    "description_en",
    "moq",
    "price_min",
    "price_max",
    "currency",
]
OPTIONAL_EXTRA_COLUMNS = ["name_zh_hant", "description_zh_hant"]
REQUIRED_COLUMNS = ["company_external_id", "external_id", "hs_code"]
NAME_COLUMNS = ["name_ko", "name_zh_hans", "name_zh_hant", "name_en"]
DESCRIPTION_COLUMNS = [
    "description_ko",
    "description_zh_hans",
    "description_zh_hant",
    "description_en",
]
TEXT_FIELDS = [*NAME_COLUMNS, *DESCRIPTION_COLUMNS]
LIMITS = {"external_id": 64, **dict.fromkeys(NAME_COLUMNS, 200)}
CURRENCY_CODES = [code for code, _label in CURRENCIES]
MAX_MOQ = 2_147_483_647  # the largest value every database accepts in a PositiveIntegerField
MAX_PRICE_DIGITS = 12  # Product.price_* hold 14 digits, 2 of them decimals
# "1200", "1200.5", "1,200.50": commas only as thousands separators, a dot for decimals.
_NUMBER = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?")
_WHOLE = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")


def parse_price(value: str) -> Decimal | None:
    """The price in a cell, or None if it is not a plain non-negative number.

    Only the dot is a decimal mark: "1,200.50" is 1200.50, while "1,5" is refused rather than
    guessed (it could be 1.5 or 15).
    """
    value = value.replace(" ", "")
    if not _NUMBER.fullmatch(value):
        return None
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def decimals(number: Decimal) -> int:
    """Decimal places that matter: "12.500" has 1, so it fits a 2-place field."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class ProductImporter(RowImporter):
    kind = "products"

    def prepare(self, table: Table) -> None:
        # What earlier chunks wrote, so a failure in a later one can be undone (compensate).
        self.created_ids: list[int] = []
        self.snapshots: dict[int, Product] = {}
        self.touched_companies: set[int] = set()
        self.hs_codes = set(HSCode.objects.values_list("code", flat=True))
        wanted = dict.fromkeys(row.get("company_external_id", "") for row in table.rows)
        self.companies: dict[str, Company] = Company.objects.in_bulk(
            [ext for ext in wanted if ext], field_name="external_id"
        )

    def row_key(self, row: dict[str, str]) -> tuple[str, str] | None:
        key = (row.get("company_external_id", ""), row.get("external_id", ""))
        return key if all(key) else None

    def duplicate_message(self, key: object, first_row: int) -> str:
        company, external_id = key  # type: ignore[misc]
        return _(
            "Duplicate external ID “%(value)s” for company “%(company)s”: "
            "it is already used in row %(row)d."
        ) % {"value": external_id, "company": company, "row": first_row}

    def count_existing(self, rows: list[dict[str, Any]]) -> int:
        company_ids = {row["company"].pk for row in rows}
        existing = set(
            Product.objects.filter(company_id__in=company_ids)
            .exclude(external_id="")
            .values_list("company_id", "external_id")
        )
        return sum((row["company"].pk, row["external_id"]) in existing for row in rows)

    def check_header(self, header: list[str], report: ImportReport) -> bool:
        known = set(PRODUCT_COLUMNS) | set(OPTIONAL_EXTRA_COLUMNS)
        for column in REQUIRED_COLUMNS:
            if column not in header:
                report.error(
                    1, column, _("Required column “%(column)s” is missing.") % {"column": column}
                )
        if not any(column in header for column in NAME_COLUMNS):
            report.error(1, "name_*", _("The file needs at least one product name column."))
        for column in header:
            if column and column not in known:
                report.error(1, column, _("Unknown column “%(column)s”.") % {"column": column})
        return report.ok

    def clean_company(
        self, number: int, row: dict[str, str], report: ImportReport
    ) -> Company | None:
        """The seller the row belongs to; buyers have no booth, so no products."""
        external_id = row.get("company_external_id", "")
        if not external_id:
            report.error(number, "company_external_id", _("The company's external ID is missing."))
            return None
        company = self.companies.get(external_id)
        if company is None:
            report.error(
                number,
                "company_external_id",
                _("No company with external ID “%(value)s”.") % {"value": external_id},
            )
            return None
        if company.role == CompanyRole.BUYER:
            report.error(
                number,
                "company_external_id",
                _("Company “%(value)s” is a buyer; only sellers have products.")
                % {"value": external_id},
            )
            return None
        return company

    def clean_price(
        self, number: int, column: str, row: dict[str, str], report: ImportReport
    ) -> Decimal | None:
        text = row.get(column, "")
        if not text:
            return None
        price = parse_price(text)
        if price is None:
            report.error(
                number,
                column,
                _(
                    "“%(value)s” is not a price: use a number of 0 or more, "
                    "such as 1200 or 1,200.50."
                )
                % {"value": text},
            )
        elif decimals(price) > 2:
            report.error(
                number,
                column,
                _("“%(value)s” has more than 2 decimals.") % {"value": text},
            )
            price = None
        elif len(str(int(price))) > MAX_PRICE_DIGITS:
            report.error(
                number,
                column,
                _("“%(value)s” is too large for a price.") % {"value": text},
            )
            price = None
        return price

    def clean_row(self, number: int, row: dict[str, str], report: ImportReport) -> dict[str, Any]:
        """Validate one row; report each problem and return the values to write."""
        errors_before = len(report.errors)
        values: dict[str, Any] = {field: row.get(field, "") for field in TEXT_FIELDS}
        values["company"] = self.clean_company(number, row, report)
        values["external_id"] = row.get("external_id", "")
        if not values["external_id"]:
            report.error(number, "external_id", _("The external ID is missing."))
        if not any(values[column] for column in NAME_COLUMNS):
            report.error(number, "name_*", _("The product has no name in any language."))
        for column, limit in LIMITS.items():
            if len(values.get(column) or "") > limit:
                report.error(
                    number,
                    column,
                    _("Too long: at most %(limit)d characters.") % {"limit": limit},
                )
        hs_codes = check_hs_codes(row.get("hs_code", ""), self.hs_codes, number, "hs_code", report)
        if len(hs_codes) > 1:
            report.error(number, "hs_code", _("A product has one HS code."))
        values["hs_code"] = hs_codes[0] if hs_codes else None
        moq_text = row.get("moq", "").replace(" ", "")
        values["moq"] = None
        if moq_text:
            if _WHOLE.fullmatch(moq_text) and int(moq_text.replace(",", "")) <= MAX_MOQ:
                values["moq"] = int(moq_text.replace(",", ""))
            else:
                report.error(
                    number,
                    "moq",
                    _(
                        "“%(value)s” is not a minimum order quantity: "
                        "use a whole number of 0 or more."
                    )
                    % {"value": row.get("moq", "")},
                )
        price_min = self.clean_price(number, "price_min", row, report)
        price_max = self.clean_price(number, "price_max", row, report)
        if price_min is not None and price_max is not None and price_min > price_max:
            report.error(
                number,
                "price_min",
                _("The lowest price (%(low)s) is above the highest price (%(high)s).")
                % {"low": row.get("price_min", ""), "high": row.get("price_max", "")},
            )
        values["price_min"], values["price_max"] = price_min, price_max
        currency = row.get("currency", "").upper()
        if currency and currency not in CURRENCY_CODES:
            report.error(
                number,
                "currency",
                _("Unknown currency “%(value)s”: use one of %(codes)s.")
                % {"value": row.get("currency", ""), "codes": ", ".join(CURRENCY_CODES)},
            )
        elif not currency and (row.get("price_min") or row.get("price_max")):
            report.error(
                number,
                "currency",
                _("A price needs a currency: use one of %(codes)s.")
                % {"codes": ", ".join(CURRENCY_CODES)},
            )
        values["currency"] = currency
        return values if len(report.errors) == errors_before else {}

    def write(self, rows: list[dict[str, Any]], report: ImportReport, progress: Progress) -> None:
        company_ids = list(dict.fromkeys(row["company"].pk for row in rows))
        existing: dict[tuple[int, str], Product] = {}
        next_position: dict[int, int] = {}
        for start in range(0, len(company_ids), 900):
            chunk = company_ids[start : start + 900]
            for product in Product.objects.filter(company_id__in=chunk).exclude(external_id=""):
                existing[(product.company_id, product.external_id)] = product
            positions = (
                Product.objects.filter(company_id__in=chunk)
                .values("company_id")
                .annotate(last=Max("position"))
            )
            next_position.update({p["company_id"]: p["last"] + 1 for p in positions})
        now = timezone.now()
        to_create, to_update = [], []
        for index, row in enumerate(rows, start=1):
            company_id = row["company"].pk
            product = existing.get((company_id, row["external_id"]))
            if product is None:
                position = next_position.get(company_id, 0)
                next_position[company_id] = position + 1
                product = Product(
                    company_id=company_id, external_id=row["external_id"], position=position
                )
                to_create.append(product)
            else:
                self.snapshots.setdefault(product.pk, copy.deepcopy(product))
                to_update.append(product)
            for field in TEXT_FIELDS:
                setattr(product, field, row[field])
            product.hs_code_id = row["hs_code"]
            product.moq = row["moq"]
            product.price_min = row["price_min"]
            product.price_max = row["price_max"]
            # A blank currency (no prices) keeps what the product had; new ones get the default.
            if row["currency"]:
                product.currency = row["currency"]
            product.updated_at = now
            product.chinese_derived = []  # a file's texts are written by people
            product.derive_chinese_variants()
            if index % 1000 == 0:
                progress(index, len(rows))
        Product.objects.bulk_create(to_create, batch_size=500)
        update_fields = [
            *TEXT_FIELDS,
            "hs_code",
            "moq",
            "price_min",
            "price_max",
            "currency",
            "updated_at",
            "chinese_derived",
        ]
        Product.objects.bulk_update(to_update, update_fields, batch_size=500)
        self.created_ids += [product.pk for product in to_create if product.pk is not None]
        if to_create and to_create[0].pk is None:  # backends that do not return new keys
            self.created_ids += [
                product.pk
                for product in Product.objects.filter(company_id__in=company_ids).exclude(
                    pk__in=[p.pk for p in existing.values()]
                )
                if (product.company_id, product.external_id)
                in {(p.company_id, p.external_id) for p in to_create}
            ]
        self.touched_companies.update(company_ids)
        report.created, report.updated = len(to_create), len(to_update)
        index_companies(company_ids)
        progress(len(rows), len(rows))

    def compensate(self) -> None:
        """Delete the products earlier chunks created; restore the ones they updated."""
        for start in range(0, len(self.created_ids), 500):
            Product.objects.filter(pk__in=self.created_ids[start : start + 500]).delete()
        fields = [
            *TEXT_FIELDS,
            "hs_code",
            "moq",
            "price_min",
            "price_max",
            "currency",
            "updated_at",
            "chinese_derived",
        ]
        Product.objects.bulk_update(list(self.snapshots.values()), fields, batch_size=500)
        index_companies(list(self.touched_companies))


def import_products(
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> ImportReport:
    """Validate every row, then write all of them in one transaction (unless dry_run)."""
    return ProductImporter().run(source, dry_run=dry_run, progress=progress, stage=stage)
