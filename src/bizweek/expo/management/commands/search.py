"""`bizweek search QUERY [--lang L] [--role R] [--json]`: the hall's search from a shell."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from bizweek.expo.services import HallQuery, find_companies

LANGS = [code for code, _name in settings.LANGUAGES]


class Command(BaseCommand):
    help = "Search companies as the hall does (any language), best match first."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("query", nargs="+")
        parser.add_argument("--lang", choices=LANGS, default="en", help="Language of the names.")
        parser.add_argument(
            "--role", choices=["seller", "buyer", "all"], default="all", help="Which companies."
        )
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--reindex", action="store_true", help="Rebuild the whole search index first."
        )

    def handle(self, *args, **options) -> None:
        if options["reindex"]:
            from bizweek.expo.search import index_companies

            self.stderr.write(f"indexed {index_companies()} companies")
        query = HallQuery(q=" ".join(options["query"]), role=options["role"])
        companies, scores = find_companies(query)
        rows = []
        with translation.override(options["lang"]):
            for company in companies[: options["limit"]]:
                rows.append(
                    {
                        "external_id": company.external_id,
                        "id": company.pk,
                        "role": company.role,
                        "name": company.name,
                        "names": {
                            "ko": company.name_ko or "",
                            "zh-hans": company.name_zh_hans or "",
                            "zh-hant": company.name_zh_hant or "",
                            "en": company.name_en or "",
                        },
                        "score": round(scores.get(company.pk, 0.0), 4),
                    }
                )
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(f"{row['score']:8.3f}  {row['external_id'] or '-':<10} {row['name']}")
        if not rows:
            self.stdout.write("no match")
