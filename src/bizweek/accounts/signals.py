"""After sign-in the site speaks the user's saved language unless they picked another here."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest


@receiver(user_logged_in)
def remember_language(sender, request: HttpRequest, user, **kwargs) -> None:  # noqa: ANN001
    if request is not None and hasattr(request, "session"):
        request.session["bizweek_language"] = user.language
