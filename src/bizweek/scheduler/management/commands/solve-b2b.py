"""`bizweek solve-b2b FILE.dzn [--time-limit S] [--workers N] [--json]`: schedule one instance.

Runs the same solver as the web app and bench/schedule.py on a MiniZinc data file of the B2B
meeting scheduling benchmark. The module name has a hyphen on purpose: Django names commands
after their files, and importlib loads `commands.solve-b2b` although it is no identifier.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bizweek.scheduler.cpsat import check, parse_dzn, solve


class Command(BaseCommand):
    help = "Schedule a B2B meeting instance (.dzn) with the least breaks; print the schedule."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("file", help="MiniZinc data file (.dzn) of the B2B benchmark format")
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc.__class__.__name__}: {exc}") from exc
        try:
            instance = parse_dzn(text, name=path.name.removesuffix(".dzn"))
        except ValueError as exc:
            raise CommandError(f"{path}: not a valid B2B instance: {exc}") from exc
        if options["time_limit"] <= 0 or options["workers"] < 1:
            raise CommandError("--time-limit must be > 0 and --workers >= 1")

        sol = solve(instance, time_limit=options["time_limit"], workers=options["workers"])
        problems = check(instance, sol.slots)
        if options["json"]:
            out = {
                "slots": sol.slots,
                "breaks": sol.breaks,
                "optimal": sol.optimal,
                "seconds": round(sol.seconds, 3),
            }
            self.stdout.write(json.dumps(out))
            return
        lines = [
            f"{instance.name}: {len(instance.meetings)} meetings, {instance.n_business} "
            f"participants, {instance.n_slots} slots ({instance.n_morning} morning), "
            f"{instance.n_tables} tables",
            f"status {sol.status}; breaks {sol.breaks}"
            + (" (optimal)" if sol.optimal else f" (lower bound {sol.bound})")
            + f"; {sol.seconds:.1f} s",
            "feasible: yes" if not problems else f"violations: {len(problems)}",
        ]
        lines += [f"  {p}" for p in problems[:20]]
        per_slot: dict[int, list[int]] = {}
        for i, s in enumerate(sol.slots):
            if s is not None:
                per_slot.setdefault(s, []).append(i)
        for s in sorted(per_slot):
            pairs = " ".join(
                f"{instance.meetings[i][0]}-{instance.meetings[i][1]}" for i in per_slot[s]
            )
            lines.append(f"slot {s:2}: {pairs}")
        self.stdout.write("\n".join(lines))
