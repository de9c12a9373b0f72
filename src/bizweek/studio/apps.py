from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    name = "bizweek.studio"
    verbose_name = _("Live PR studio")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (keeps the event agenda in step with the shows)
