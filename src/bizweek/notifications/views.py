from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = request.user.notifications.all()[:100]
    return render(request, "notifications/list.html", {"items": items})


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark as read and go where the notification points."""
    item = get_object_or_404(request.user.notifications, pk=pk)
    services.mark_read(request.user, [item.pk])
    target = item.url if url_has_allowed_host_and_scheme(item.url, None) else "/"
    return redirect(target or "notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(request.user)
    return redirect("notifications:list")
