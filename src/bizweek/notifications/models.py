"""The in-app notification centre. Texts are rendered in the recipient's language when sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mail_failed = models.BooleanField(
        default=False, help_text="The e-mail copy could not be handed to the mail server."
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def link_label(self) -> str:
        """What the link leads to, said in words rather than shown as a bare path."""
        if self.kind == "meeting_no_show" and "/requests/new/" in self.url:
            return str(_("Request another time"))
        if self.url.startswith("/meetings/"):
            return str(_("Open the meeting"))
        return str(_("Open the request"))
