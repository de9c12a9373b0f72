from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpoConfig(AppConfig):
    name = "bizweek.expo"
    verbose_name = _("Exhibition hall")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
