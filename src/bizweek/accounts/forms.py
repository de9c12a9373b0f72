from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bizweek.core import ratelimit
from bizweek.timezones import timezone_choices

from .backends import SignInBusy
from .models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean(self) -> dict:
        """Refuse sign-ins once an account or a client address failed too often (before any
        password is checked, so guessing costs no hashing either)."""
        account = (self.cleaned_data.get("username") or "").strip().lower()
        address = ratelimit.client_address(self.request) if self.request else "unknown"
        window = settings.BIZWEEK_LOGIN_WINDOW
        if (
            ratelimit.count("login-account", account, window)
            >= settings.BIZWEEK_LOGIN_FAILURES_PER_ACCOUNT
            or ratelimit.count("login-address", address, window)
            >= settings.BIZWEEK_LOGIN_FAILURES_PER_ADDRESS
        ):
            raise ValidationError(
                _(
                    "Too many failed sign-in attempts. For your security, please wait "
                    "%(minutes)d minutes and try again, or reset your password."
                ),
                code="throttled",
                params={"minutes": max(1, window // 60)},
            )
        try:
            return super().clean()
        except SignInBusy:
            raise ValidationError(
                _("Many people are signing in right now. Please try again in a moment."),
                code="busy",
            ) from None
        except ValidationError as error:
            if getattr(error, "code", None) == "unconfirmed":
                raise  # the right password: not a guess
            if account and self.cleaned_data.get("password"):
                ratelimit.hit("login-account", account, window)
                ratelimit.hit("login-address", address, window)
            raise

    def confirm_login_allowed(self, user: User) -> None:
        """A new registration signs in only after confirming its address; the link is sent
        again (at most every 10 minutes), since it may have been lost."""
        if user.awaiting_confirmation:
            from .confirmation import send_confirmation_again

            send_confirmation_again(user)
            raise ValidationError(
                _(
                    "Please confirm your e-mail address first: open the link in the message we "
                    "sent you when you registered. We have sent it to you again."
                ),
                code="unconfirmed",
            )
        super().confirm_login_allowed(user)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. CRM sync.")
    )
    expires_in = forms.TypedChoiceField(
        label=_("Valid for"),
        choices=[
            (30, _("30 days")),
            (90, _("90 days")),
            (365, _("1 year")),
            (0, _("Until revoked")),
        ],
        coerce=int,
        initial=90,
        required=False,
        empty_value=90,
        help_text=_("Tokens also end when you change your password."),
    )


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    class Meta:
        model = User
        fields = ["display_name", "phone", "language", "timezone"]
