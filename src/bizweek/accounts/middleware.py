"""Language: an explicit choice (cookie) wins, then the user's saved language, then the browser."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class UserLanguageMiddleware:
    """Offers a logged-in user's saved language to LocaleMiddleware when no cookie was set.

    Runs before authentication middleware, so it reads the user lazily from the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = request.session.get("bizweek_language")
            if language:
                request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)


class TimezoneMiddleware:
    """Show times in the reader's zone: a user's own, otherwise the event's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import zoneinfo

        from django.utils import timezone

        from bizweek.events.services import current_event

        name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            name = user.timezone
        else:
            event = current_event(request)
            name = event.timezone if event else None
        try:
            timezone.activate(zoneinfo.ZoneInfo(name or settings.TIME_ZONE))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
