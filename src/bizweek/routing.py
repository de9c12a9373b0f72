"""WebSocket routes. Meetings (/ws/meetings/<id>/) and the studio (/ws/studio/<id>/) join here."""

websocket_urlpatterns: list = []
