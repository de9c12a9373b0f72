"""ASGI entry point: HTTP through Django (in a thread pool, see core/handler.py), WebSockets
through Channels (see routing.py); each server process runs the booth-visit flusher from
start to graceful stop (expo/visits.py), whichever ASGI server runs it."""

import os
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
django.setup(set_prefix=False)  # the handler sets the script prefix of each request

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up first)
from django.conf import settings  # noqa: E402

from bizweek.core.handler import PooledHTTPHandler, with_lifespan  # noqa: E402
from bizweek.expo import visits  # noqa: E402
from bizweek.routing import websocket_application  # noqa: E402

_stop_flusher: list[threading.Event] = []  # set at start, in each server process


def _start_visit_flusher() -> None:
    _stop_flusher.append(visits.start_flusher())


def _write_last_visits() -> None:
    """At shutdown: stop the flusher and write what the last second's booth visitors did."""
    for stop in _stop_flusher:
        stop.set()
    visits.flush()


application = with_lifespan(
    ProtocolTypeRouter(
        {
            "http": PooledHTTPHandler(threads=settings.HTTP_THREADS),
            "websocket": websocket_application,
        }
    ),
    on_startup=_start_visit_flusher,
    on_shutdown=_write_last_visits,
)
