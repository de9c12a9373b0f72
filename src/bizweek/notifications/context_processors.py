from django.http import HttpRequest

from .services import unread_count


def unread(request: HttpRequest) -> dict:
    """The bell in the header shows how many notifications are unread."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
