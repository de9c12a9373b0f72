from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide pieces: the serve command, translations build, template tags, error pages."""

    name = "bizweek.core"
    label = "bizweek_core"
