"""`bizweek import companies|products FILE [--dry-run]`: the importers the organizer's page uses."""

from __future__ import annotations

import json
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from bizweek.companies.importing import import_companies

IMPORTERS = {"companies": import_companies}


def register_importer(kind: str, function) -> None:  # noqa: ANN001
    """Other apps (products in expo) add their importers here."""
    IMPORTERS[kind] = function


def progress_bar(done: int, total: int, width: int = 30) -> str:
    """One line redrawn in place: rows checked, then rows written, of a long import."""
    filled = width * done // total if total else width
    return f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows"


class Command(BaseCommand):
    help = "Import a CSV or XLSX file. All rows or none are written; problems are listed by row."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("kind", choices=["companies", "products"])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the report.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--invite",
            action="store_true",
            help="companies: send each contact's account an invitation to set a password.",
        )

    def handle(self, *args, **options) -> None:
        kind = options["kind"]
        if kind == "products" and kind not in IMPORTERS:
            # Imported here, not at the top: the companies app must not depend on the hall.
            from bizweek.expo.importing import import_products

            register_importer("products", import_products)
        if kind not in IMPORTERS:
            raise CommandError(f"Importing {kind} is not available yet.")
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if not options["json"]:
                self.stderr.write(progress_bar(done, total), ending="\r")

        with translation.override(options["lang"]):
            try:
                extra = {"invite": options["invite"]} if kind == "companies" else {}
                report = IMPORTERS[kind](
                    options["file"], dry_run=options["dry_run"], progress=progress, **extra
                )
            except FileNotFoundError as error:
                raise CommandError(f"No such file: {options['file']}") from error
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            else:
                for error in report.errors:
                    column = f" [{error.column}]" if error.column else ""
                    self.stdout.write(f"row {error.row}{column}: {error.message}")
                for note in report.notes:
                    column = f" [{note.column}]" if note.column else ""
                    self.stdout.write(f"row {note.row}{column} (note): {note.message}")
                self.stdout.write(f"{report.summary()} ({time.monotonic() - started:.1f} s)")
                accounts = getattr(report, "accounts", None)
                if accounts is not None:
                    for note in accounts.skipped:
                        self.stdout.write(str(note))
                    self.stdout.write(
                        f"contact accounts: {len(accounts.created)} created, "
                        f"{len(accounts.attached)} attached"
                        + (", invitations queued" if options["invite"] else "")
                    )
        if not report.ok:
            sys.exit(1)
