"""Sign-in, language choice, the personal dashboard and profile."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .forms import LoginForm, ProfileForm, TokenForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the registration mail: activate the account and sign its owner in."""
    from django.contrib.auth import login
    from django.utils.http import urlsafe_base64_decode

    from .confirmation import confirm
    from .models import User

    try:
        user = User.objects.filter(pk=int(urlsafe_base64_decode(uidb64))).first()
    except (ValueError, OverflowError):
        user = None
    if user is None or not confirm(user, token):
        return render(request, "accounts/confirm_invalid.html")
    login(request, user, backend="bizweek.accounts.backends.ThrottledModelBackend")
    messages.success(
        request,
        _(
            "Thank you, your e-mail address is confirmed. "
            "We will e-mail you once your registration is approved."
        ),
    )
    return redirect("accounts:dashboard")


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language: the page language for this browser (a cookie) only.

    The account's language, in which its e-mail and notifications are written, changes only on
    the profile page: an organizer previewing the Chinese pages must not start receiving
    Chinese mail.
    """
    return django_set_language(request)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Home: what needs doing first (see accounts.home), then the company and suggestions."""
    from . import home

    user = request.user
    context = {"company": user.company, **home.build(user)}
    if user.company is not None and user.company.is_approved:
        from bizweek.recommend.services import index_is_built, recommend

        # The home page never waits for a first index build (seconds, with the dictionary
        # loaded): until `bizweek serve` has built it, the card points to "For you".
        if index_is_built():
            items = recommend(user.company, limit=5, language=request.LANGUAGE_CODE, stale_ok=True)
            marks = dict(user.company.marks_given.values_list("target_id", "value"))
            context["recommendations"] = [(item, marks.get(item.company.pk, "")) for item in items]
        else:
            context["recommendations_pending"] = True
    return render(request, "accounts/dashboard.html", context)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.session["bizweek_language"] = request.user.language
        messages.success(request, _("Your profile was saved."))
        response = redirect("accounts:profile")
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "accounts/profile.html", _profile_context(request, form=form))


def _profile_context(request: HttpRequest, **extra: object) -> dict:
    return {
        "form": ProfileForm(instance=request.user),
        "token_form": TokenForm(),
        "tokens": request.user.api_tokens.order_by("-created_at"),
        **extra,
    }


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Show a new API token once; only its hash is kept."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", _profile_context(request, token_form=form))
    days = form.cleaned_data["expires_in"]
    expires_at = timezone.now() + timedelta(days=days) if days else None
    _token, raw = ApiToken.issue(request.user, form.cleaned_data["name"], expires_at=expires_at)
    return render(request, "accounts/profile.html", _profile_context(request, new_token=raw))


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _details = request.user.api_tokens.filter(pk=pk).delete()
    if deleted:
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")
