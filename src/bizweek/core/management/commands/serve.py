"""Serve Bizweek over ASGI with uvicorn (HTTP and WebSockets in one process or several)."""

from __future__ import annotations

import gc
import itertools
import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.signals import request_finished

# Requests after which the collector freezes again: by then the caches that are built lazily
# (templates, URL resolvers, API schemas, search and taxonomy tables) exist.
FREEZE_AFTER_REQUESTS = 200


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
            help="Run no reminders and no background jobs in this process (run `bizweek "
            "reminders --loop` and `bizweek worker` instead).",
        )

    def handle(self, *args, **options) -> None:
        workers = options["workers"]
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError("--workers > 1 needs REDIS_URL: workers must share a channel layer.")
        address = f"http://{options['host']}:{options['port']}"
        if not os.environ.get("BIZWEEK_SITE_URL"):
            # Links sent outside a request (reminders, jobs) point where this server listens;
            # the environment carries it to worker processes.
            settings.SITE_URL = os.environ["BIZWEEK_SITE_URL"] = address
        self.stdout.write(f"Bizweek at {address}/  (Ctrl+C to stop)")
        if not options["no_jobs"]:
            from bizweek.meetings.jobs import start_background_loop

            start_background_loop()
            from bizweek.core.tasks import start_worker_thread

            start_worker_thread()
            from bizweek.studio.ingest import start_supervisor

            start_supervisor()  # RTMP listeners of the live shows
        uvicorn.run(
            "bizweek.core.management.commands.serve:serving_application",
            factory=True,  # called in each worker process
            host=options["host"],
            port=options["port"],
            workers=workers,
            reload=options["reload"],
            proxy_headers=True,
            ws_max_size=1 << 20,
            ws_per_message_deflate=settings.WS_DEFLATE,
            log_level="info",
        )


def serving_application() -> Any:  # an ASGI application
    """The ASGI application, with the garbage collector set for a long-running server.

    A full collection traverses every object alive, and a process serving the hall holds
    hundreds of thousands of long-lived ones (modules, models, templates, caches): measured at
    demo scale 10, each took 50-80 ms inside some request, which was the whole search p99.
    `gc.freeze()` moves the objects alive at that moment out of the collector's view: once at
    start, and once after the first requests, when the lazily built caches exist. A collection
    first, so no garbage is frozen with them.
    """
    from bizweek.asgi import application

    gc.collect()
    gc.freeze()
    served = itertools.count(1)

    def freeze_when_warm(**kwargs: Any) -> None:
        if next(served) == FREEZE_AFTER_REQUESTS:
            request_finished.disconnect(freeze_when_warm)
            gc.collect()
            gc.freeze()

    request_finished.connect(freeze_when_warm, weak=False)
    return application
