"""`bizweek import companies`: a spreadsheet of companies, applied whole or not at all.

Rows are matched on `external_id`, so importing the same file twice updates instead of
duplicating. Every problem is reported with its row, column and reason; if there is any,
nothing is written.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from bizweek.countries import country_codes
from bizweek.spreadsheets import ImportReport, Progress, RowImporter, Stage
from bizweek.timezones import is_valid_timezone

from .contacts import ContactAccounts, invite, provision_contacts
from .hscodes import resolve_codes
from .models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from .signals import companies_changed

COMPANY_COLUMNS = [
    "external_id",
    "role",
    "name_ko",
    "name_zh_hans",
    "name_zh_hant",
    "name_en",
    "country",
    "city",
    "timezone",
    "sectors",
    "hs_codes",
    "description_ko",
    "description_zh_hans",
    "description_en",
    "website",
    "contact_name",
    "contact_email",
    "contact_phone",
]
REQUIRED_COLUMNS = ["external_id", "role", "country", "timezone"]
NAME_COLUMNS = ["name_ko", "name_zh_hans", "name_zh_hant", "name_en"]
OPTIONAL_EXTRA_COLUMNS = ["description_zh_hant"]
TEXT_FIELDS = [
    *NAME_COLUMNS,
    "description_ko",
    "description_zh_hans",
    "description_zh_hant",
    "description_en",
    "city",
    "website",
    "contact_name",
    "contact_email",
    "contact_phone",
]
LIMITS = {"external_id": 64, "city": 100, "contact_name": 150, "contact_phone": 40}
LIMITS.update(dict.fromkeys(NAME_COLUMNS, 200))


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.replace(",", ";").split(";") if item.strip()]


def check_hs_codes(
    raw: str, known: set[str], number: int, column: str, report: ImportReport
) -> list[str]:
    """The HS 2022 codes of one cell; refused codes become errors, shortened ones notes."""
    codes = []
    for found in resolve_codes(raw, known):
        if found.code is None:
            message = (
                _("“%(value)s” is not an HS code: write 2, 4, 6, 8 or 10 digits, e.g. 8429.52.")
                if found.reason == "format"
                else _("Unknown HS code “%(value)s”.")
            )
            report.error(number, column, message % {"value": found.written})
            continue
        if found.shortened:
            report.note(
                number,
                column,
                _("“%(value)s” was taken as HS 2022 %(code)s.")
                % {"value": found.written, "code": found.code},
            )
        codes.append(found.code)
    return list(dict.fromkeys(codes))


class CompanyImporter(RowImporter):
    kind = "companies"

    def __init__(self) -> None:
        self.sectors = {sector.code: sector for sector in Sector.objects.all()}
        self.hs_codes = set(HSCode.objects.values_list("code", flat=True))
        self.countries = country_codes()
        self.url_validator = URLValidator(schemes=["http", "https"])
        self.invite = False  # send contacts an invitation (import_companies sets it)
        self.accounts = ContactAccounts()
        # What earlier chunks wrote, so a failure in a later one can be undone (compensate).
        self.created_ids: list[int] = []
        self.snapshots: dict[int, tuple[Company, list[int], list[str]]] = {}

    def check_header(self, header: list[str], report: ImportReport) -> bool:
        known = set(COMPANY_COLUMNS) | set(OPTIONAL_EXTRA_COLUMNS)
        for column in REQUIRED_COLUMNS:
            if column not in header:
                report.error(
                    1, column, _("Required column “%(column)s” is missing.") % {"column": column}
                )
        if not any(column in header for column in NAME_COLUMNS):
            report.error(1, "name_*", _("The file needs at least one company name column."))
        for column in header:
            if column and column not in known:
                report.error(1, column, _("Unknown column “%(column)s”.") % {"column": column})
        return report.ok

    def clean_row(self, number: int, row: dict[str, str], report: ImportReport) -> dict[str, Any]:
        """Validate one row; report each problem and return the values to write."""
        errors_before = len(report.errors)
        values: dict[str, Any] = {field: row.get(field, "") for field in TEXT_FIELDS}
        values["external_id"] = row.get("external_id", "")
        if not values["external_id"]:
            report.error(number, "external_id", _("The external ID is missing."))
        role = row.get("role", "").lower()
        if role not in CompanyRole.values:
            report.error(
                number,
                "role",
                _("Unknown role “%(value)s”: use seller or buyer.")
                % {"value": row.get("role", "")},
            )
        values["role"] = role
        if not any(values[column] for column in NAME_COLUMNS):
            report.error(number, "name_*", _("The company has no name in any language."))
        for column, limit in LIMITS.items():
            if len(values.get(column) or "") > limit:
                report.error(
                    number,
                    column,
                    _("Too long: at most %(limit)d characters.") % {"limit": limit},
                )
        country = row.get("country", "").upper()
        if country not in self.countries:
            report.error(
                number,
                "country",
                _("Unknown country “%(value)s”: use an ISO 3166 code such as KR or TH.")
                % {"value": row.get("country", "")},
            )
        values["country"] = country
        timezone = row.get("timezone", "")
        if not is_valid_timezone(timezone):
            report.error(
                number,
                "timezone",
                _("Unknown time zone “%(value)s”: use an IANA name such as Asia/Seoul.")
                % {"value": timezone},
            )
        values["timezone"] = timezone
        sectors = split_list(row.get("sectors", ""))
        for code in sectors:
            if code not in self.sectors:
                report.error(number, "sectors", _("Unknown sector “%(value)s”.") % {"value": code})
        values["sectors"] = sectors
        values["hs_codes"] = check_hs_codes(
            row.get("hs_codes", ""), self.hs_codes, number, "hs_codes", report
        )
        if values["contact_email"]:
            try:
                validate_email(values["contact_email"])
            except ValidationError:
                report.error(
                    number,
                    "contact_email",
                    _("“%(value)s” is not a valid e-mail address.")
                    % {"value": values["contact_email"]},
                )
        if values["website"]:
            if "://" not in values["website"]:
                values["website"] = "https://" + values["website"]
            try:
                self.url_validator(values["website"])
            except ValidationError:
                report.error(
                    number,
                    "website",
                    _("“%(value)s” is not a valid web address.") % {"value": row.get("website")},
                )
        return values if len(report.errors) == errors_before else {}

    def row_key(self, row: dict[str, str]) -> str | None:
        return row.get("external_id", "") or None

    def duplicate_message(self, key: object, first_row: int) -> str:
        return _("Duplicate external ID “%(value)s”: it is already used in row %(row)d.") % {
            "value": key,
            "row": first_row,
        }

    def count_existing(self, rows: list[dict[str, Any]]) -> int:
        ids = [row["external_id"] for row in rows]
        return Company.objects.filter(external_id__in=ids).count()

    def write(self, rows: list[dict[str, Any]], report: ImportReport, progress: Progress) -> None:
        existing = Company.objects.in_bulk(
            [row["external_id"] for row in rows], field_name="external_id"
        )
        to_create, to_update = [], []
        for row in rows:
            company = existing.get(row["external_id"])
            if company is None:
                company = Company(external_id=row["external_id"], status=CompanyStatus.APPROVED)
                to_create.append(company)
            else:
                if company.pk not in self.snapshots:
                    self.snapshots[company.pk] = (
                        copy.deepcopy(company),
                        list(company.sectors.values_list("pk", flat=True)),
                        list(company.hs_codes.values_list("pk", flat=True)),
                    )
                to_update.append(company)
            company.role = row["role"]
            company.country = row["country"]
            company.timezone = row["timezone"]
            for field in TEXT_FIELDS:
                setattr(company, field, row[field])
            company.chinese_derived = []  # a file's texts are written by people
            company.derive_chinese_variants()
        Company.objects.bulk_create(to_create, batch_size=500)
        update_fields = [
            "role",
            "country",
            "timezone",
            *TEXT_FIELDS,
            "chinese_derived",
        ]
        Company.objects.bulk_update(to_update, update_fields, batch_size=500)
        report.created, report.updated = len(to_create), len(to_update)
        if to_create and to_create[0].pk is None:  # backends that do not return new keys
            ids = Company.objects.in_bulk(
                [company.external_id for company in to_create], field_name="external_id"
            )
            to_create = [ids[company.external_id] for company in to_create]
        self.created_ids += [company.pk for company in to_create]
        by_external_id = {c.external_id: c for c in [*to_create, *to_update]}
        sector_links, hs_links = [], []
        sector_model = Company.sectors.through
        hs_model = Company.hs_codes.through
        for index, row in enumerate(rows, start=1):
            company = by_external_id[row["external_id"]]
            sector_links += [
                sector_model(company_id=company.pk, sector_id=self.sectors[code].pk)
                for code in row["sectors"]
            ]
            hs_links += [
                hs_model(company_id=company.pk, hscode_id=code) for code in row["hs_codes"]
            ]
            if index % 1000 == 0:
                progress(index, len(rows))
        ids = [company.pk for company in by_external_id.values()]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            sector_model.objects.filter(company_id__in=chunk).delete()
            hs_model.objects.filter(company_id__in=chunk).delete()
        sector_model.objects.bulk_create(sector_links, batch_size=1000)
        hs_model.objects.bulk_create(hs_links, batch_size=1000)
        companies_changed.send(Company, company_ids=ids)
        # In the same transaction: an account per contact e-mail (see companies.contacts).
        self.accounts.extend(provision_contacts(ids))
        progress(len(rows), len(rows))

    def finish(self) -> None:
        if self.invite:
            invite(self.accounts.users)

    def compensate(self) -> None:
        """Delete the companies and accounts earlier chunks created; restore the updated ones."""
        from bizweek.accounts.models import User

        User.objects.filter(pk__in=[user.pk for user in self.accounts.created]).delete()
        for user_pk, role in self.accounts.previous_roles.items():
            User.objects.filter(pk=user_pk).update(company=None, role=role)
        for start in range(0, len(self.created_ids), 500):
            Company.objects.filter(pk__in=self.created_ids[start : start + 500]).delete()
        fields = ["role", "country", "timezone", *TEXT_FIELDS, "chinese_derived"]
        before = [snapshot[0] for snapshot in self.snapshots.values()]
        Company.objects.bulk_update(before, fields, batch_size=500)
        for company, sectors, hs_codes in self.snapshots.values():
            company.sectors.set(sectors)
            company.hs_codes.set(hs_codes)
        companies_changed.send(Company, company_ids=list(self.snapshots))
        self.accounts = ContactAccounts()


def import_companies(
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    invite: bool = False,
    stage: Stage | None = None,
) -> ImportReport:
    """Validate every row, then write all of them in one transaction (unless dry_run).

    Contact e-mails get member accounts; with `invite`, each new or attached account is sent an
    invitation to set its password (a background job, after the import commits).
    """
    importer = CompanyImporter()
    importer.invite = invite
    report = importer.run(source, dry_run=dry_run, progress=progress, stage=stage)
    report.accounts = importer.accounts if report.written else None  # type: ignore[attr-defined]
    report.invited = invite  # type: ignore[attr-defined]
    return report
