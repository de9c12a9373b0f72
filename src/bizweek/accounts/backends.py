"""Password sign-in that cannot take over the server's page threads.

Checking a password costs a deliberate ~0.3 s of CPU (PBKDF2). A server process has only
`BIZWEEK_HTTP_THREADS` threads for pages (core/handler.py), so a few clients guessing at once
would fill all of them. At most `BIZWEEK_HASHING_THREADS` checks run at once per process
(default: one thread fewer than the page threads, at least one); a sign-in that cannot get a
slot within `BIZWEEK_HASH_WAIT_SECONDS` is refused with "busy" instead of queueing.
"""

from __future__ import annotations

import threading
from functools import cache

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class SignInBusy(Exception):
    """Every password-checking slot of this process stayed taken: try again shortly."""


@cache
def hashing_slots() -> threading.BoundedSemaphore:
    default = max(1, getattr(settings, "HTTP_THREADS", 2) - 1)
    return threading.BoundedSemaphore(getattr(settings, "BIZWEEK_HASHING_THREADS", default))


class ThrottledModelBackend(ModelBackend):
    def authenticate(  # noqa: ANN201
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ):
        slots = hashing_slots()
        if not slots.acquire(timeout=getattr(settings, "BIZWEEK_HASH_WAIT_SECONDS", 2.0)):
            raise SignInBusy
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        finally:
            slots.release()

    def user_can_authenticate(self, user) -> bool:  # noqa: ANN001
        """A registration waiting for its e-mail confirmation passes the password check, so
        the sign-in form can say "confirm your address first" (LoginForm refuses it) instead
        of "wrong password"; any other inactive account is refused as by Django."""
        return super().user_can_authenticate(user) or getattr(user, "awaiting_confirmation", False)

    def get_user(self, user_id: int):  # noqa: ANN201
        """Sessions only ever belong to active accounts."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
