from django.http import HttpRequest

from . import services


def current_event(request: HttpRequest) -> dict:
    """Every page shows the event's name in its header."""
    return {"current_event": services.current_event(request)}
