"""WebSocket routes. Meetings (/ws/meetings/<id>/), the studio (/ws/studio/<id>/) and its
browser ingest (/ws/studio/<id>/ingest/) join here."""

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
