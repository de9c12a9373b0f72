"""`bizweek recommend EXTERNAL_ID [--limit N] [--json] [--lang L]`: whom a company should meet."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from bizweek.companies.models import Company
from bizweek.recommend.services import recommend

LANGS = [code for code, _name in settings.LANGUAGES]


class Command(BaseCommand):
    help = "List the counterparts a company should meet, best first, with the reasons."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("external_id", help="The company's external ID (e.g. B00042).")
        parser.add_argument("--limit", type=int, default=10, help="How many (default 10).")
        parser.add_argument("--lang", choices=LANGS, default="en", help="Language of the text.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options) -> None:
        company = Company.objects.filter(external_id=options["external_id"]).first()
        if company is None:
            raise CommandError(f"No company with external ID {options['external_id']!r}.")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        lang = options["lang"]
        items = recommend(company, options["limit"], language=lang)
        with translation.override(lang):
            rows = [
                {
                    "external_id": item.company.external_id,
                    "id": item.company.pk,
                    "name": item.company.name or "",
                    "role": item.company.role,
                    "country": item.company.country,
                    "score": item.score,
                    "reasons": item.reasons,
                }
                for item in items
            ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not company.is_approved:
            self.stderr.write("The company is not approved: it gets no recommendations yet.")
        for row in rows:
            reasons = "; ".join(reason["text"] for reason in row["reasons"][:3])
            self.stdout.write(
                f"{row['score']:6.3f}  {row['external_id'] or '-':<10} {row['name']}\n"
                f"        {reasons}"
            )
        if not rows:
            self.stdout.write("no recommendation")
