"""API authentication: the browser session, or a personal token (Authorization: Bearer bzw_…)."""

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from bizweek.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201
        now = timezone.now()
        match = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(token), user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        if match is None:
            return None
        ApiToken.objects.filter(pk=match.pk).update(last_used_at=now)
        request.user = match.user
        return match.user


class OptionalAuth:
    """Lets anonymous readers through while still identifying a signed-in caller."""

    def __init__(self) -> None:
        self.token = TokenAuth()
        self.session = SessionAuth()

    def __call__(self, request: HttpRequest):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self.token(request)  # a bad token is refused, not treated as anonymous
        return self.session(request) or True


token_auth = TokenAuth()
session_auth = SessionAuth()
optional_auth = OptionalAuth()
