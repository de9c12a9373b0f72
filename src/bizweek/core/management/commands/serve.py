"""Serve Bizweek over ASGI with uvicorn (HTTP and WebSockets in one process or several)."""

from __future__ import annotations

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the site (HTTP + WebSocket) with uvicorn."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Worker processes. More than one needs REDIS_URL (shared channel layer and "
            "cache) and a database server, see docs/deployment.md.",
        )
        parser.add_argument("--reload", action="store_true", help="Restart on code changes.")
        parser.add_argument(
            "--no-jobs",
            action="store_true",
            help="Do not send reminders from this process (run `bizweek reminders --loop`).",
        )

    def handle(self, *args, **options) -> None:
        workers = options["workers"]
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError("--workers > 1 needs REDIS_URL: workers must share a channel layer.")
        self.stdout.write(
            f"Bizweek at http://{options['host']}:{options['port']}/  (Ctrl+C to stop)"
        )
        if not options["no_jobs"]:
            from bizweek.meetings.jobs import start_background_loop

            start_background_loop()
        uvicorn.run(
            "bizweek.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=workers,
            reload=options["reload"],
            proxy_headers=True,
            ws_max_size=1 << 20,
            log_level="info",
        )
