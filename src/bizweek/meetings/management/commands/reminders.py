"""`bizweek reminders [--loop]`: send due meeting reminders and expire stale requests."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from bizweek.meetings.jobs import run_once


class Command(BaseCommand):
    help = "Send reminders 24 h and 15 min before meetings; expire requests whose times passed."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--loop", action="store_true", help="Keep running.")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args, **options) -> None:
        while True:
            reminded, expired = run_once()
            self.stdout.write(f"reminders sent: {reminded}; requests expired: {expired}")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
