"""WebSocket routes. Meetings (/ws/meetings/<id>/), the studio (/ws/studio/<id>/) and its
browser ingest (/ws/studio/<id>/ingest/) join here.

Every route is in the permission matrix (tests/security/matrix.py WEBSOCKETS): a new one without
a row fails tests/security/test_permission_matrix.py.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from bizweek.meetings.consumers import ControlTowerConsumer, MeetingRoomConsumer
from bizweek.studio.browser_ingest import BrowserIngestConsumer
from bizweek.studio.consumers import StudioConsumer

websocket_urlpatterns: list = [
    path("ws/meetings/tower/", ControlTowerConsumer.as_asgi()),
    path("ws/meetings/<int:pk>/", MeetingRoomConsumer.as_asgi()),
    path("ws/studio/<int:session_id>/", StudioConsumer.as_asgi()),
    path("ws/studio/<int:session_id>/ingest/", BrowserIngestConsumer.as_asgi()),
]

# What asgi.py serves for WebSockets (and what the permission matrix connects to): the Origin
# must be an allowed host, and the user comes from the session cookie.
websocket_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)
