from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "bizweek.events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from . import services  # noqa: F401  (connects the current-event cache signals)
