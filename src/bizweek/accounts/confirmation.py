"""Confirming the e-mail address of a new registration (issue 14, finding 11).

Registration answers the same whether or not the address has an account, so the account it
creates cannot be usable at once: it stays inactive until its owner opens the link mailed to
the address, which proves the mailbox is theirs.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


class ConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Like a password-reset token (signed, expires after PASSWORD_RESET_TIMEOUT), but for its
    own purpose and used once: confirming changes the state the token was made from."""

    key_salt = "bizweek.accounts.confirmation.ConfirmationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.is_active}{user.awaiting_confirmation}{timestamp}"


confirmation_tokens = ConfirmationTokenGenerator()


def confirmation_link(user: User) -> str:
    """The path (without the site) that confirms `user`'s address."""
    return reverse(
        "accounts:confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": confirmation_tokens.make_token(user),
        },
    )


def confirm(user: User, token: str) -> bool:
    """Activate the account if `token` is its current confirmation token."""
    if not user.awaiting_confirmation or not confirmation_tokens.check_token(user, token):
        return False
    user.is_active = True
    user.awaiting_confirmation = False
    user.save(update_fields=["is_active", "awaiting_confirmation"])
    return True


def send_confirmation_again(user: User) -> bool:
    """Mail the link again, at most once per 10 minutes per account (sign-in attempts before
    confirming would otherwise send one mail each)."""
    from bizweek.core import ratelimit
    from bizweek.mail import send_templated_mail

    if not ratelimit.allow("confirmation-mail", str(user.pk), limit=1, window=600):
        return False
    return send_templated_mail(
        user.email,
        "accounts/email/confirm",
        {"user": user, "link": confirmation_link(user)},
        user.language,
    )
