"""ASGI entry point: HTTP through Django (in a thread pool, see core/handler.py), WebSockets
through Channels (see routing.py)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
django.setup(set_prefix=False)  # the handler sets the script prefix of each request

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from bizweek.core.handler import PooledHTTPHandler  # noqa: E402
from bizweek.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": PooledHTTPHandler(threads=settings.HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
