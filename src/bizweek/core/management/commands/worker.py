"""`bizweek worker`: run background jobs (imports, schedule drafts, nudges) in their own process."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run queued background jobs until stopped (or, with --batch, until none is left)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, **options) -> None:
        from bizweek.companies.jobs import sweep_uploads

        # `serve --no-jobs` runs no periodic loop: uploads left by jobs that never ran (or by a
        # worker killed mid-import) are deleted whenever a worker starts.
        sweep_uploads()
        call_command(
            "db_worker",
            queue_name="*",
            interval=options["interval"],
            batch=options["batch"],
            verbosity=options["verbosity"],
        )
