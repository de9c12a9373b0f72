"""`bizweek schedule`: the organizer's auto-scheduler from a shell (draft, then --publish)."""

from __future__ import annotations

import signal
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bizweek.accounts.models import Role, User
from bizweek.events.services import current_event
from bizweek.matching.models import RunStatus, ScheduleRun
from bizweek.scheduler import drafts as scheduling
from bizweek.scheduler.neighbourhood import Progress


class Command(BaseCommand):
    help = "Schedule accepted-but-unplaced requests and mutual Must-meet pairs into one day."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--day", help="YYYY-MM-DD (default: the next meeting day).")
        parser.add_argument("--tables", type=int, default=20, help="Meetings at once.")
        parser.add_argument("--time-limit", type=float, default=30)
        parser.add_argument("--publish", type=int, metavar="RUN_ID", help="Publish a draft run.")
        parser.add_argument("--as", dest="email", help="Organizer account to act as.")

    def handle(self, *args, **options) -> None:
        event = current_event()
        if event is None:
            raise CommandError("No event.")
        users = User.objects.filter(is_active=True)
        organizer = (
            users.filter(email=options["email"]).first()
            if options["email"]
            else users.filter(role=Role.ORGANIZER).order_by("pk").first()
        )
        if organizer is None or not organizer.is_organizer:
            raise CommandError("No organizer account to act as (use --as EMAIL).")
        try:
            if options["publish"]:
                run = ScheduleRun.objects.get(pk=options["publish"], status=RunStatus.DRAFT)
                booked, problems = scheduling.publish(run, by=organizer)
                self.stdout.write(f"published run {run.pk}: {booked} meetings booked")
                for problem in problems:
                    self.stdout.write(f"  not booked: {problem}")
                return
            days = event.meeting_days.all()
            if options["day"]:
                day = days.filter(date=date.fromisoformat(options["day"])).first()
            else:  # the first day that still has slots ahead
                now = timezone.now()
                day = next((d for d in days if scheduling.day_slots(event, d, now)), None)
            if day is None:
                raise CommandError("No such meeting day.")
            self.stdout.write(
                f"scheduling {day.date} (time limit {options['time_limit']} s; "
                "Ctrl-C stops and keeps the best so far)…"
            )
            stop = {"asked": False}

            def ask_stop(signum: int, frame: object) -> None:
                stop["asked"] = True

            previous = signal.signal(signal.SIGINT, ask_stop)
            try:
                run = scheduling.run(
                    event,
                    day,
                    by=organizer,
                    tables=options["tables"],
                    time_limit=options["time_limit"],
                    on_progress=self._show,
                    should_stop=lambda: stop["asked"],
                )
            finally:
                signal.signal(signal.SIGINT, previous)
                self.stdout.write("")
        except (ValidationError, ScheduleRun.DoesNotExist, ValueError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        placed = run.drafts.filter(starts_at__isnull=False).count()
        unplaced = run.drafts.filter(starts_at__isnull=True)
        self.stdout.write(
            f"draft run {run.pk}: {placed} placed, {unplaced.count()} not placed, "
            f"{run.breaks} breaks, {'optimal' if run.optimal else 'best found'}, "
            f"{run.seconds:.1f} s"
        )
        for draft in unplaced.select_related("seller", "buyer"):
            self.stdout.write(f"  {draft.seller} × {draft.buyer}: {draft.reason_text}")
        self.stdout.write(f"publish with: bizweek schedule --publish {run.pk}")

    def _show(self, progress: Progress) -> None:
        """One line redrawn in place: a bar of meetings placed, then breaks, bound, time left."""
        width = 30
        done = round(width * progress.placed / progress.total) if progress.total else width
        if progress.breaks is None:
            return  # nothing solved yet
        bound = "?" if progress.bound is None else progress.bound
        self.stdout.write(
            f"\r[{'#' * done}{'.' * (width - done)}] {progress.placed}/{progress.total} placed · "
            f"{progress.breaks} breaks (first-fit {progress.greedy_breaks}, bound {bound}) · "
            f"{progress.over_cap} over cap · {progress.time_left:.0f} s left ",
            ending="",
        )
        self.stdout.flush()
