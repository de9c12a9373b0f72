"""WebSocket routes. Meetings (/ws/meetings/<id>/) and the studio (/ws/studio/<id>/) join here."""

from django.urls import path

from bizweek.studio.consumers import StudioConsumer

websocket_urlpatterns: list = [
    path("ws/studio/<int:session_id>/", StudioConsumer.as_asgi()),
]
