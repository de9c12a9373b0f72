from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "bizweek.matching"
    verbose_name = _("Business matching")
