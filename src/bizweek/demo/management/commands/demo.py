"""`bizweek demo [--scale N] [--seed S]`: a complete demo event, the same for the same seed."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from bizweek.demo import builder


class Command(BaseCommand):
    help = "Create the demo event: 473 Korean sellers and 631 overseas buyers per scale unit."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--scale", type=int, default=1, help="Multiply the company counts.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same content.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete existing events, companies and users first.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has an event or companies (for make run).",
        )

    def handle(self, *args, **options) -> None:
        if options["scale"] < 1 or options["scale"] > 100:
            raise CommandError("--scale must be between 1 and 100.")
        if not builder.database_is_empty():
            if options["if_empty"]:
                self.stdout.write("The database already has data: demo not loaded again.")
                return
            if not options["reset"]:
                raise CommandError(
                    "The database already has data. Use --reset to replace it with the demo."
                )
            self.stdout.write("Deleting existing data…")
            builder.reset()
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        result = builder.build_demo(options["scale"], options["seed"], progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {time.monotonic() - started:.1f} s: {result.sellers} sellers, "
                f"{result.buyers} buyers, {result.products} products, {result.users} accounts, "
                f"{result.pending} registrations waiting for approval."
            )
        )
        self.stdout.write(f"Meeting requests by state: {result.matching}")
        self.stdout.write(f"Demo logins (password for all: {builder.DEMO_PASSWORD}):")
        for role, email, _password in result.logins:
            self.stdout.write(f"  {role!s:<12} {email}")
