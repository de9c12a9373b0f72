"""`bizweek nudges`: send the due reminders now (or queue the job with --enqueue)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from bizweek.events.services import current_event


class Command(BaseCommand):
    help = "Remind companies with no meeting and participants with an unfiled consultation log."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the job for a worker instead"
        )

    def handle(self, *args: object, **options: object) -> None:
        from bizweek.dashboard import nudges

        if options["enqueue"]:
            nudges.send_nudges.enqueue()
            self.stdout.write("queued the nudges job")
            return
        sent = nudges.run(current_event())
        self.stdout.write(f"reminded {sent} person(s)")
