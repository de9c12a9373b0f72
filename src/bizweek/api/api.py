"""API v1: one NinjaAPI, one router per app; every error is {"detail": ..., "code": ...}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .auth import optional_auth
from .companies import router as companies_router
from .matching import router as matching_router
from .recommendations import router as recommendations_router
from .stats import router as stats_router
from .studio import router as studio_router

api = NinjaAPI(
    title="Bizweek API",
    version="1",
    description="Companies, products, meeting requests and meetings of a Bizweek event.",
    urls_namespace="api-v1",
    auth=optional_auth,
)


def _error(request: HttpRequest, status: int, detail: object, code: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, exc.errors, "invalid")


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return _error(request, 422, detail, "invalid")


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Authentication required."), "not_authenticated")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or _("Not allowed."), "permission_denied")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja's "Cannot parse request body": a body we cannot read
        return _error(request, 422, _("The request body is not valid JSON."), "invalid")
    codes = {429: "throttled", 413: "too_large"}
    code = codes.get(exc.status_code, f"http_{exc.status_code}")
    return _error(request, exc.status_code, str(exc), code)


api.add_router("/companies", companies_router)
api.add_router("/", matching_router)
api.add_router("/", recommendations_router)
api.add_router("/", stats_router)
api.add_router("/", studio_router)
