"""The site's own address for links in e-mail, notifications and calendar files.

Inside a request it is the address the person used (scheme and host as Django validates them
against ALLOWED_HOSTS), so links work whatever host and port the site runs on. Elsewhere
(background jobs, reminders, commands) it is `settings.SITE_URL` (`BIZWEEK_SITE_URL`, which
`make run` and `bizweek serve` set from their host and port when it is not given).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

_request_site_url: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bizweek_site_url", default=None
)


def site_url() -> str:
    """Scheme and host without a trailing slash: 'http://127.0.0.1:8600'."""
    return _request_site_url.get() or settings.SITE_URL


def absolute(path: str) -> str:
    return site_url() + path


class SiteURLMiddleware:
    """Remembers the request's own address while the request is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            url = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            url = None
        token = _request_site_url.set(url)
        try:
            return self.get_response(request)
        finally:
            _request_site_url.reset(token)
